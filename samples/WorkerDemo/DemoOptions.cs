namespace WorkerDemo;

/// <summary>The demo's settings: the "WorkerDemo" section of the repository-root appsettings.json.</summary>
internal sealed class DemoOptions
{
    public const string Section = "WorkerDemo";

    /// <summary>The SQLite file, relative to the content root.</summary>
    public string DatabasePath { get; set; } = "data/readings.db";

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
}
