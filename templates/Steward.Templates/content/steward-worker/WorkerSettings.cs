namespace StewardWorker;

/// <summary>The worker's own settings: the "Worker" section of appsettings.json.</summary>
internal sealed class WorkerSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Worker";

    /// <summary>How long the worker sleeps between rounds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
