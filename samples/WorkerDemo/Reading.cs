namespace WorkerDemo;

/// <summary>One sensor reading.</summary>
internal sealed record Reading(string Sensor, double Value, DateTimeOffset At);
