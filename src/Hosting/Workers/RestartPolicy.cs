namespace Steward.Hosting;

/// <summary>When a worker instance is restarted.</summary>
public enum RestartPolicy
{
    /// <summary>Never: a failure gives up at once (the host stops with exit code 1); a normal return stops the instance.</summary>
    Never,

    /// <summary>After a failure; a normal return stops the instance.</summary>
    OnFailure,

    /// <summary>After a failure and after a normal return. Both count toward <see cref="RestartOptions.MaxRestarts"/>
    /// within <see cref="RestartOptions.Window"/>: a worker that keeps returning at once gives up like one that keeps
    /// failing (and is delayed by the same back-off), so a run-once worker under Always must run longer than the window
    /// allows for, or use a larger MaxRestarts.</summary>
    Always,
}
