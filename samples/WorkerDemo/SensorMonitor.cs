using Microsoft.Extensions.Options;
using Steward;
using Steward.Hosting;

namespace WorkerDemo;

/// <summary>
/// A supervised worker (several instances, one per sensor): runs the device-lifecycle state machine for its sensor, which
/// reads it and hands each reading to the <see cref="IngestManager"/>. A failed run (a simulated sensor fault) is
/// restarted by the supervisor with back-off; each restart is a fresh monitor in a fresh DI scope.
/// </summary>
internal sealed partial class SensorMonitor(
    IngestManager manager, DeviceLifecycle lifecycle, IOptionsMonitor<DemoOptions> options, TimeProvider clock, ILogger<SensorMonitor> logger)
    : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        var settings = options.CurrentValue; // SIGHUP reloads it; a run keeps the settings it started with
        var sensors = settings.Sensors;
        var index = int.Parse(runState.Name[(runState.Name.LastIndexOf('#') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var session = new DeviceSession(runState, sensors[index % sensors.Count], manager, settings, clock);
        try
        {
            await lifecycle.Machine.Start(session, "connecting").Completion; // a fault in a state fails this run
        }
        finally
        {
            LogStopped(runState.Name, session.Sensor, session.Readings, session.Reconnects, runState.RunTime);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} ({Sensor}) stopped after {Readings} readings and {Reconnects} reconnects in {RunTime}")]
    private partial void LogStopped(string worker, string sensor, long readings, int reconnects, TimeSpan runTime);
}
