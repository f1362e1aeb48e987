namespace Steward;

/// <summary>The states of a <see cref="RunState"/>.</summary>
public enum RunStateStatus
{
    /// <summary>Never started.</summary>
    Idle,

    /// <summary>Started and not paused.</summary>
    Running,

    /// <summary>Started and paused: checkpoints wait until resumed or cancelled.</summary>
    Paused,

    /// <summary>Started and cancelled: the work should end soon and call <see cref="RunState.Stop()"/>.</summary>
    Stopping,

    /// <summary>Stopped after running.</summary>
    Stopped,
}
