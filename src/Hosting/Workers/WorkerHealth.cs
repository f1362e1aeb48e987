namespace Steward.Hosting;

/// <summary>The health of one worker instance, as <see cref="IRunStateController"/> and the health check report it.</summary>
public enum WorkerHealth
{
    /// <summary>Registered; its first run has not begun yet.</summary>
    Starting,

    /// <summary>Running and passing checkpoints.</summary>
    Running,

    /// <summary>Paused: waiting at a checkpoint until resumed.</summary>
    Paused,

    /// <summary>Ended or failed; waiting out the back-off before its next run.</summary>
    Restarting,

    /// <summary>Running, but no checkpoint within its <see cref="WorkerOptions.StallTimeout"/>.</summary>
    Stalled,

    /// <summary>Failed, and its policy (<see cref="RestartPolicy.Never"/>) does not restart it: the host stops with exit code 1.</summary>
    Faulted,

    /// <summary>Failed more than <see cref="RestartOptions.MaxRestarts"/> times within the window: the host stops with exit code 1.</summary>
    GaveUp,

    /// <summary>Ended normally and not restarted, or stopped with the host.</summary>
    Stopped,

    /// <summary>
    /// A clustered instance waiting for its lease, held by another process (or not yet acquirable): healthy, a standby is
    /// doing its job. While the coordination database cannot be reached the health check reports Degraded.
    /// </summary>
    Standby,
}
