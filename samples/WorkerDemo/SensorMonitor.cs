using Microsoft.Extensions.Options;
using Steward;
using Steward.Hosting;

namespace WorkerDemo;

/// <summary>
/// A supervised worker: takes a reading from each simulated sensor in turn and stores it. Each iteration starts at a
/// checkpoint, so the worker pauses (SIGUSR1) and stops (SIGTERM, Ctrl+C) between readings, never in the middle of one.
/// </summary>
internal sealed partial class SensorMonitor(
    Opened<ReadingsDatabase> database, IOptionsMonitor<DemoOptions> options, TimeProvider clock, ILogger<SensorMonitor> logger)
    : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        LogStarted(runState.Name);
        long readings = 0;
        var started = clock.GetTimestamp();
        try
        {
            while (true)
            {
                await runState.ThrowIfCancelledAsync();
                var settings = options.CurrentValue; // SIGHUP reloads it
                if (settings.StallAfter is { } stallAfter && clock.GetElapsedTime(started) >= stallAfter)
                {
                    LogStalling(runState.Name);
                    await Task.Delay(Timeout.Infinite, runState.Token); // hangs without a checkpoint, but stops when asked
                }

                if (settings.FailureRate > 0 && Random.Shared.NextDouble() < settings.FailureRate)
                {
                    throw new IOException($"Sensor fault (simulated, WorkerDemo:FailureRate = {settings.FailureRate}).");
                }

                var sensor = settings.Sensors[(int)(readings % settings.Sensors.Count)];
                var now = clock.GetUtcNow();

                // A smooth signal per sensor with a little noise: what a thermometer on a boiler might report.
                var value = 60 + (20 * Math.Sin((now.ToUnixTimeMilliseconds() / 10_000.0) + sensor.Length)) + Random.Shared.NextDouble();
                await database.Value.InsertAsync(new Reading(sensor, Math.Round(value, 2), now), runState.Token);
                readings++;
                LogReading(sensor, value);
                await runState.SleepAsync(settings.SensorInterval);
            }
        }
        finally
        {
            LogStopped(runState.Name, readings, runState.RunTime);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} started")]
    private partial void LogStarted(string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} stalls now (simulated, WorkerDemo:StallAfter): no more checkpoints")]
    private partial void LogStalling(string worker);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored reading {Sensor} = {Value:F2}")]
    private partial void LogReading(string sensor, double value);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} stopped after {Readings} readings in {RunTime}")]
    private partial void LogStopped(string worker, long readings, TimeSpan runTime);
}
