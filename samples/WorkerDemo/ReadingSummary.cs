namespace WorkerDemo;

/// <summary>What the reporter logs: readings per sensor since a point in time.</summary>
internal sealed record ReadingSummary(string Sensor, long Count, double Mean, double Max);
