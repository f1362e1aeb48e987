namespace WorkerDemo;

/// <summary>The demo's settings: the "WorkerDemo" section of the repository-root appsettings.json.</summary>
internal sealed class DemoOptions
{
    public const string Section = "WorkerDemo";

    /// <summary>The SQLite file; a relative path is under STATE_DIRECTORY when systemd sets it, else under data/ in the
    /// content root.</summary>
    public string DatabasePath { get; set; } = "readings.db";

    /// <summary>How often the sensor monitor takes a reading.</summary>
    public TimeSpan SensorInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the reporter summarises the readings.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The simulated sensors, read in turn; <see cref="DefaultSensors"/> when none are configured.</summary>
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
}
