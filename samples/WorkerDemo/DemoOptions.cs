namespace WorkerDemo;

/// <summary>The demo's settings: the "WorkerDemo" section of the repository-root appsettings.json.</summary>
internal sealed class DemoOptions
{
    public const string Section = "WorkerDemo";

    /// <summary>The SQLite file; a relative path is under STATE_DIRECTORY when systemd sets it, else under data/ in the
    /// content root.</summary>
    public string DatabasePath { get; set; } = "readings.db";

    /// <summary>How often each sensor monitor takes a reading.</summary>
    public TimeSpan SensorInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often the ingest writer stores what the monitors handed over, in one transaction.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the reporter logs throughput and totals.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the reporter waits for the ingest manager's snapshot before it gives up on that report.</summary>
    public TimeSpan SnapshotTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A simulated device drops its connection after this many readings (0: never); the monitor reconnects.</summary>
    public int DisconnectEvery { get; set; } = 50;

    /// <summary>How often the heartbeat tasklet beats.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Every this many heartbeats the heartbeat asks the command tasklet for due maintenance.</summary>
    public int MaintenanceEvery { get; set; } = 5;

    /// <summary>How long readings are kept; the retention sweep deletes older ones (0: keep them all).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The simulated sensors; monitor instance i reads sensor i (modulo the count).</summary>
    public List<string> Sensors { get; set; } = [];

    /// <summary>The sensors used when the configuration names none (a list default would be appended to by binding).</summary>
    public static IReadOnlyList<string> DefaultSensors { get; } = ["boiler", "intake", "exhaust"];

    /// <summary>If set, the demo stops itself after this long (handy for smoke runs); otherwise it runs until Ctrl+C.</summary>
    public TimeSpan? RunFor { get; set; }

    /// <summary>Fault injection: the chance (0 to 1) that a reading fails with a simulated sensor fault, which fails the
    /// monitor's run (and its supervisor restarts it).</summary>
    public double FailureRate { get; set; }

    /// <summary>Fault injection: if set, a monitor run stops reaching checkpoints after this long (a simulated hang): its
    /// health turns Stalled once its StallTimeout passes, and under systemd the watchdog restarts the service.</summary>
    public TimeSpan? StallAfter { get; set; }

    /// <summary>For tests: how long the ingest manager takes to answer a snapshot (a stop can then land in the middle).</summary>
    public TimeSpan SnapshotDelay { get; set; }
}
