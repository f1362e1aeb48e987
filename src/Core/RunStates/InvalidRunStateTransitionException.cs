namespace Steward;

/// <summary>
/// Thrown when an event is not allowed in a <see cref="RunState"/>'s current status, for example
/// <see cref="RunState.Resume"/> while <see cref="RunStateStatus.Running"/>. The RunState is left exactly as it was.
/// </summary>
public sealed class InvalidRunStateTransitionException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="eventName"/> refused in <paramref name="state"/>.</summary>
    /// <param name="runStateName">The name of the RunState, used in the message.</param>
    /// <param name="state">The status the RunState was in.</param>
    /// <param name="eventName">The refused event, one of <see cref="RunStateEvents"/>.</param>
    public InvalidRunStateTransitionException(string runStateName, RunStateStatus state, string eventName)
        : base(FormatMessage(runStateName, state, eventName))
    {
        RunStateName = runStateName;
        State = state;
        Event = eventName;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public InvalidRunStateTransitionException()
        : base("The RunState event is not allowed in the current state.")
    {
        RunStateName = string.Empty;
        Event = string.Empty;
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">The message.</param>
    public InvalidRunStateTransitionException(string message)
        : base(message)
    {
        RunStateName = string.Empty;
        Event = string.Empty;
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidRunStateTransitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        RunStateName = string.Empty;
        Event = string.Empty;
    }

    /// <summary>The name of the RunState that refused the event.</summary>
    public string RunStateName { get; }

    /// <summary>The status the RunState was in when the event arrived.</summary>
    public RunStateStatus State { get; }

    /// <summary>The refused event, one of <see cref="RunStateEvents"/>.</summary>
    public string Event { get; }

    private static string FormatMessage(string name, RunStateStatus state, string eventName)
    {
        var allowed = string.Join(", ", RunStateTransitionTable.AllowedEvents(state));
        return $"RunState '{name}' cannot {eventName} while {state} (allowed in {state}: {allowed}).";
    }
}
