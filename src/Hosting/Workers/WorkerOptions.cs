namespace Steward.Hosting;

/// <summary>The settings of one worker: <c>Steward:Workers:&lt;name&gt;</c>.</summary>
public sealed class WorkerOptions
{
    /// <summary>Whether the worker runs at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many instances run side by side, each in its own DI scope with its own RunState. Default 1.</summary>
    public int Instances { get; set; } = 1;

    /// <summary>How failures and returns are handled.</summary>
    public RestartOptions Restart { get; set; } = new();

    /// <summary>
    /// If set, a running (not paused) instance that passes no checkpoint for this long is reported
    /// <see cref="WorkerHealth.Stalled"/> and makes the health check Unhealthy. Off by default.
    /// </summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>Whether the worker runs in every process (the default), in one at a time, or partitioned among them.</summary>
    public WorkerClusterOptions Cluster { get; set; } = new();
}
