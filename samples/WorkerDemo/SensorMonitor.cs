using Microsoft.Extensions.Options;
using Steward;

namespace WorkerDemo;

/// <summary>Takes a reading from each simulated sensor in turn and stores it.</summary>
internal sealed partial class SensorMonitor(
    ReadingsDatabase database, IOptions<DemoOptions> options, TimeProvider clock, ILogger<SensorMonitor> logger)
    : RunStateLoop(nameof(SensorMonitor), database, logger)
{
    private readonly DemoOptions _options = options.Value;
    private int _next;

    protected override async Task IterateAsync(RunState runState, CancellationToken stoppingToken)
    {
        var sensor = _options.Sensors[_next++ % _options.Sensors.Count];
        var now = clock.GetUtcNow();
        // A smooth signal per sensor with a little noise: what a thermometer on a boiler might report.
        var value = 60 + (20 * Math.Sin(now.ToUnixTimeMilliseconds() / 10_000.0 + sensor.Length)) + Random.Shared.NextDouble();
        await Database.InsertAsync(new Reading(sensor, Math.Round(value, 2), now), stoppingToken);
        LogReading(sensor, value);
        await runState.SleepAsync(_options.SensorInterval, stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored reading {Sensor} = {Value:F2}")]
    private partial void LogReading(string sensor, double value);
}
