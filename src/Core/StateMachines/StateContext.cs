using System.Diagnostics;
using Steward.Support;

namespace Steward.StateMachines;

/// <summary>
/// What a state's body gets besides the machine's context: the run's token, the state's arguments, and the only way to
/// leave the state (<see cref="GoTo"/> or <see cref="End"/>, whose result the body returns).
/// </summary>
/// <remarks>One per state entered; it stays valid (and unchanged) after its state ended.</remarks>
[DebuggerDisplay("{MachineName,nq}: {State,nq}")]
public sealed class StateContext
{
    private readonly StateDeclaration _state;

    internal StateContext(StateMachineRun run, StateDeclaration state, object? args)
    {
        Run = run;
        _state = state;
        Args = args;
    }

    /// <summary>The run this state belongs to.</summary>
    public StateMachineRun Run { get; }

    /// <summary>The machine's name.</summary>
    public string MachineName => Run.MachineName;

    /// <summary>The state running now.</summary>
    public string State => _state.Name;

    /// <summary>The arguments given to this state: by <see cref="StateMachine{T}.Start"/> for the first state, else by the
    /// previous state's <see cref="GoTo"/>.</summary>
    public object? Args { get; }

    /// <summary>The states this state declared it may go to; empty for a terminal state.</summary>
    public IReadOnlyList<string> Allowed => _state.Allowed;

    /// <summary>The run's token, cancelled by <see cref="StateMachineRun.Cancel"/> (or the token given to
    /// <see cref="StateMachine{T}.Start"/>).</summary>
    public CancellationToken Token => Run.Token;

    /// <summary>
    /// Checks and makes the transition to <paramref name="target"/>; return it from the body. The check happens here, in
    /// the current state, so the body can catch the exception. Allocates nothing.
    /// </summary>
    /// <param name="target">The next state; it must be one of <see cref="Allowed"/>.</param>
    /// <param name="args">The next state's <see cref="Args"/>.</param>
    /// <returns>The transition for the body to return.</returns>
    /// <exception cref="InvalidTransitionException"><paramref name="target"/> is not a declared transition of this state.</exception>
    public StateTransition GoTo(string target, object? args = null)
    {
        Guard.NotNull(target, (MachineName, State), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        var allowed = _state.AllowedNames;
        for (var i = 0; i < allowed.Length; i++)
        {
            if (string.Equals(allowed[i], target, StringComparison.Ordinal))
            {
                return new StateTransition(this, _state.Targets[i], args);
            }
        }

        throw new InvalidTransitionException(MachineName, State, target, _state.Allowed);
    }

    /// <summary>Ends the run successfully after this state; return it from the body. Allowed in every state.</summary>
    /// <returns>The transition for the body to return.</returns>
    public StateTransition End() => new(this, null, null);

    /// <inheritdoc/>
    public override string ToString() => $"{MachineName}: {State}";
}
