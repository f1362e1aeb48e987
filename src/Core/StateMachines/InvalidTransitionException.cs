namespace Steward.StateMachines;

/// <summary>
/// Thrown by <see cref="StateContext.GoTo"/> when a state tries to move to a state it did not declare. Thrown inside
/// the current state, which may catch it; uncaught, it faults the run and no transition is recorded. Ported from
/// gevent_async's <c>ValidationError</c>.
/// </summary>
public sealed class InvalidTransitionException : InvalidOperationException
{
    /// <summary>Creates the exception for the refused move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    /// <param name="machineName">The state machine's name, used in the message.</param>
    /// <param name="from">The state that tried to move.</param>
    /// <param name="to">The refused target.</param>
    /// <param name="allowed">The targets <paramref name="from"/> declared.</param>
    public InvalidTransitionException(string machineName, string from, string to, IReadOnlyList<string> allowed)
        : base(FormatMessage(machineName, from, to, allowed))
    {
        MachineName = machineName;
        From = from;
        To = to;
        Allowed = allowed;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public InvalidTransitionException()
        : this("The state transition is not declared.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">The message.</param>
    public InvalidTransitionException(string message)
        : base(message)
    {
        MachineName = From = To = string.Empty;
        Allowed = [];
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidTransitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        MachineName = From = To = string.Empty;
        Allowed = [];
    }

    /// <summary>The state machine's name.</summary>
    public string MachineName { get; }

    /// <summary>The state that tried to move.</summary>
    public string From { get; }

    /// <summary>The refused target.</summary>
    public string To { get; }

    /// <summary>The targets <see cref="From"/> declared (empty for a terminal state).</summary>
    public IReadOnlyList<string> Allowed { get; }

    private static string FormatMessage(string machineName, string from, string to, IReadOnlyList<string> allowed) =>
        allowed.Count == 0
            ? $"State machine '{machineName}': state '{from}' cannot move to '{to}': it is a terminal state (no declared transitions)."
            : $"State machine '{machineName}': state '{from}' cannot move to '{to}' (declared transitions: {string.Join(", ", allowed.Select(a => $"'{a}'"))}).";
}
