using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Steward.StateMachines;

/// <summary>
/// A checked, immutable state machine built by <see cref="StateMachineBuilder{T}"/>; <see cref="Start"/> runs it on a
/// context any number of times, concurrently if need be.
/// </summary>
/// <typeparam name="T">The context every state receives.</typeparam>
/// <remarks>
/// A run executes one state at a time: the first body runs asynchronously (on the thread pool, never inside
/// <see cref="Start"/>), each later body runs in the flow of the one before, after the transition was recorded.
/// A state's body returns <see cref="StateContext.GoTo"/> (checked against the state's declared transitions, at the
/// call, inside the state) or <see cref="StateContext.End"/>.
/// </remarks>
[DebuggerDisplay("{Name,nq}: {States.Count} states")]
public sealed partial class StateMachine<T>
{
    private readonly StateDefinition[] _states;
    private readonly Dictionary<string, StateDefinition> _byName;
    private readonly Action<string, T, object?>? _onStart;
    private readonly Action<StateMachineRun, string?, string>? _onTransition;
    private readonly ILogger _logger;

    internal StateMachine(
        string name,
        StateDefinition[] states,
        Dictionary<string, StateDefinition> byName,
        Action<string, T, object?>? onStart,
        Action<StateMachineRun, string?, string>? onTransition,
        ILogger logger)
    {
        Name = name;
        _states = states;
        _byName = byName;
        _onStart = onStart;
        _onTransition = onTransition;
        _logger = logger;
        States = [.. states.Select(s => s.Name)];
    }

    /// <summary>The machine's name.</summary>
    public string Name { get; }

    /// <summary>The declared states, in declaration order.</summary>
    public IReadOnlyList<string> States { get; }

    /// <summary>The states <paramref name="state"/> declared it may go to; empty for a terminal state.</summary>
    /// <param name="state">A declared state.</param>
    /// <returns>Its declared transitions, in declaration order.</returns>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not a declared state.</exception>
    public IReadOnlyList<string> TransitionsFrom(string state) => Find(state, nameof(state)).Allowed;

    /// <summary>
    /// Starts a run in <paramref name="initialState"/>: runs the <c>OnStart</c> callbacks here, records
    /// <c>(null, initialState)</c>, and schedules the state's body on the thread pool (it never runs inside this call).
    /// </summary>
    /// <param name="context">The context every state receives.</param>
    /// <param name="initialState">The first state.</param>
    /// <param name="args">The first state's <see cref="StateContext.Args"/>.</param>
    /// <param name="cancellationToken">Cancels the run, like <see cref="StateMachineRun.Cancel"/>.</param>
    /// <returns>The run.</returns>
    /// <exception cref="ArgumentException"><paramref name="initialState"/> is not a declared state.</exception>
    public StateMachineRun Start(T context, string initialState, object? args = null, CancellationToken cancellationToken = default)
    {
        var initial = Find(initialState, nameof(initialState));
        _onStart?.Invoke(initial.Name, context, args); // in the issuing context; if it throws, there is no run
        var run = new StateMachineRun(Name, initial.Name, _logger, _onTransition);
        run.Record(null, initial.Name);
        if (cancellationToken.CanBeCanceled)
        {
            run.LinkTo(cancellationToken);
        }

        _ = Task.Run(() => RunAsync(run, context, initial, args), CancellationToken.None);
        return run;
    }

    /// <inheritdoc/>
    public override string ToString() => $"StateMachine '{Name}' ({_states.Length} states)";

    private StateDefinition Find(string state, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(state, parameterName);
        return _byName.TryGetValue(state, out var definition)
            ? definition
            : throw new ArgumentException(
                $"State machine '{Name}' has no state '{state}' (declared states: {string.Join(", ", States.Select(s => $"'{s}'"))}).",
                parameterName);
    }

    /// <summary>The run loop: one state at a time until a state ends the run, it faults or it is cancelled. Never throws.</summary>
    private async Task RunAsync(StateMachineRun run, T context, StateDefinition state, object? args)
    {
        try
        {
            while (true)
            {
                // Once cancelled, no new state starts (this one included, if the cancel came before its body).
                run.Token.ThrowIfCancellationRequested();
                var stateContext = new StateContext(run, state.Name, state.Allowed, args);
                var body = state.Body(context, stateContext)
                    ?? throw new InvalidOperationException($"State machine '{Name}': state '{state.Name}' returned a null task.");
                var transition = await body.ConfigureAwait(false)
                    ?? throw new InvalidOperationException(
                        $"State machine '{Name}': state '{state.Name}' returned no transition; return s.GoTo(...) or s.End().");
                if (!ReferenceEquals(transition.Context, stateContext))
                {
                    throw new InvalidOperationException(
                        $"State machine '{Name}': state '{state.Name}' returned a transition made in another state or run "
                        + $"('{transition}'); return the one its own StateContext made.");
                }

                if (transition.IsEnd)
                {
                    run.Succeed();
                    return;
                }

                run.Token.ThrowIfCancellationRequested();
                var next = _byName[transition.To!];
                _onStart?.Invoke(next.Name, context, transition.Args); // the issuing context: this state's flow
                run.Record(state.Name, next.Name);
                state = next;
                args = transition.Args;
            }
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
            run.EndCancelled();
        }
        catch (Exception ex)
        {
            run.Fail(ex);
        }
    }

    /// <summary>A declared state.</summary>
    internal sealed class StateDefinition(string name, IReadOnlyList<string> allowed, Func<T, StateContext, Task<StateTransition>> body)
    {
        public string Name { get; } = name;

        public IReadOnlyList<string> Allowed { get; } = allowed;

        public Func<T, StateContext, Task<StateTransition>> Body { get; } = body;
    }
}
