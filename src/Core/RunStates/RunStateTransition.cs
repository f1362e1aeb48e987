namespace Steward;

/// <summary>One change of <see cref="RunState.Status"/>, as raised by <see cref="RunState.StateChanged"/>.</summary>
/// <param name="Name">The <see cref="RunState.Name"/> of the RunState that changed.</param>
/// <param name="From">The status before the event.</param>
/// <param name="To">The status after the event.</param>
/// <param name="Event">The event that caused the change, one of <see cref="RunStateEvents"/>.</param>
/// <param name="At">When the change happened, read from the RunState's <see cref="TimeProvider"/>.</param>
public sealed record RunStateTransition(string Name, RunStateStatus From, RunStateStatus To, string Event, DateTimeOffset At);
