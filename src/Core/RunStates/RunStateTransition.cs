namespace Steward;

/// <summary>One change of <see cref="RunState.Status"/>, as raised by <see cref="RunState.StateChanged"/>.</summary>
/// <param name="Name">The <see cref="RunState.Name"/> of the RunState that changed.</param>
/// <param name="From">The status before the event.</param>
/// <param name="To">The status after the event.</param>
/// <param name="Event">The event that caused the change, one of <see cref="RunStateEvents"/>.</param>
/// <param name="At">When the change happened, read from the RunState's <see cref="TimeProvider"/>.</param>
public sealed record RunStateTransition(string Name, RunStateStatus From, RunStateStatus To, string Event, DateTimeOffset At)
{
    /// <summary>
    /// The RunState's count of status changes when this one happened (1 for its first): orders the transitions of one
    /// RunState even when their <see cref="RunState.StateChanged"/> handlers run at the same time on different threads (a
    /// <see cref="RunState.Cancel"/> from a signal's thread racing the worker's own <see cref="RunState.Stop()"/>).
    /// </summary>
    /// <remarks>Not part of equality: two transitions are equal when they are the same change of the same RunState at the
    /// same time, whatever was counted before them.</remarks>
    public long Sequence { get; init; }

    /// <summary>Equality on what changed and when (<see cref="Sequence"/> excluded).</summary>
    /// <param name="other">Another transition.</param>
    /// <returns>Whether both are the same change of the same RunState at the same time.</returns>
    public bool Equals(RunStateTransition? other) =>
        other is not null && Name == other.Name && From == other.From && To == other.To && Event == other.Event && At == other.At;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, From, To, Event, At);
}
