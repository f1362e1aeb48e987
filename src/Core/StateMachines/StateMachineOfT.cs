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
/// Synchronous bodies (and value tasks already completed) run in one loop, without a task and without growing the stack,
/// however many follow each other; a transition between them allocates only the new state's <see cref="StateContext"/>.
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
        int historyCapacity,
        ILogger logger)
    {
        Name = name;
        _states = states;
        _byName = byName;
        _onStart = onStart;
        _onTransition = onTransition;
        _logger = logger;
        HistoryCapacity = historyCapacity;
        States = Array.AsReadOnly(states.Select(s => s.Name).ToArray());
    }

    /// <summary>The machine's name.</summary>
    public string Name { get; }

    /// <summary>The declared states, in declaration order.</summary>
    public IReadOnlyList<string> States { get; }

    /// <summary>How many of the most recent transitions each run keeps in <see cref="StateMachineRun.History"/>; 0 when
    /// the history is off. Set by <see cref="StateMachineBuilder{T}.History"/>; 64 by default.</summary>
    public int HistoryCapacity { get; }

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
        var run = new StateMachineRun(Name, States, HistoryCapacity, initial.Name, _logger, _onTransition);
        run.Record(null, initial);
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

    /// <summary>
    /// The run loop: one state at a time until a state ends the run, it faults or it is cancelled. Never throws.
    /// Synchronous bodies (and value tasks that completed) run in this loop, one after the other on the same stack frame;
    /// only a body whose task is not complete suspends it.
    /// </summary>
    private async Task RunAsync(StateMachineRun run, T context, StateDefinition state, object? args)
    {
        var token = run.Token;
        try
        {
            while (true)
            {
                // Once cancelled, no new state starts (this one included, if the cancel came before its body).
                token.ThrowIfCancellationRequested();
                var stateContext = new StateContext(run, state, args);
                var body = state.Body;
                StateTransition transition;
                if (body.Sync is { } sync)
                {
                    transition = sync(context, stateContext);
                }
                else if (body.Async is { } asynchronous)
                {
                    var task = asynchronous(context, stateContext)
                        ?? throw new InvalidOperationException($"State machine '{Name}': state '{state.Name}' returned a null task.");
                    transition = await task.ConfigureAwait(false);
                }
                else
                {
                    transition = await body.ValueAsync!(context, stateContext).ConfigureAwait(false);
                }

                if (!ReferenceEquals(transition.Context, stateContext))
                {
                    throw transition.Context is null
                        ? new InvalidOperationException(
                            $"State machine '{Name}': state '{state.Name}' returned no transition; return s.GoTo(...) or s.End().")
                        : new InvalidOperationException(
                            $"State machine '{Name}': state '{state.Name}' returned a transition made in another state or run "
                            + $"('{transition}'); return the one its own StateContext made.");
                }

                if (transition.Target is not StateDefinition next)
                {
                    run.Succeed();
                    return;
                }

                token.ThrowIfCancellationRequested();
                _onStart?.Invoke(next.Name, context, transition.Args); // the issuing context: this state's flow
                run.Record(state, next);
                state = next;
                args = transition.Args;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            run.EndCancelled();
        }
        catch (Exception ex)
        {
            run.Fail(ex);
        }
    }

    /// <summary>A state's body: exactly one of the three kinds is set.</summary>
    internal readonly struct StateBody
    {
        public StateBody(Func<T, StateContext, StateTransition> body) => Sync = body;

        public StateBody(Func<T, StateContext, Task<StateTransition>> body) => Async = body;

        public StateBody(Func<T, StateContext, ValueTask<StateTransition>> body) => ValueAsync = body;

        public Func<T, StateContext, StateTransition>? Sync { get; }

        public Func<T, StateContext, Task<StateTransition>>? Async { get; }

        public Func<T, StateContext, ValueTask<StateTransition>>? ValueAsync { get; }
    }

    /// <summary>A declared state of this machine.</summary>
    internal sealed class StateDefinition(string name, int index, string[] allowed, StateBody body)
        : StateDeclaration(name, index, allowed)
    {
        public StateBody Body { get; } = body;
    }
}
