namespace Steward;

/// <summary>
/// The names of the events that drive a <see cref="RunState"/>, as they appear in
/// <see cref="RunStateTransition.Event"/> and <see cref="InvalidRunStateTransitionException.Event"/>.
/// </summary>
public static class RunStateEvents
{
    /// <summary><see cref="RunState.Start"/>.</summary>
    public const string Start = nameof(Start);

    /// <summary><see cref="RunState.Cancel"/>.</summary>
    public const string Cancel = nameof(Cancel);

    /// <summary><see cref="RunState.Pause"/>.</summary>
    public const string Pause = nameof(Pause);

    /// <summary><see cref="RunState.Resume"/>.</summary>
    public const string Resume = nameof(Resume);

    /// <summary><see cref="RunState.Stop()"/>.</summary>
    public const string Stop = nameof(Stop);
}
