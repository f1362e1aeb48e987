using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Steward.Support;

namespace Steward.StateMachines;

/// <summary>
/// Declares the states of a <see cref="StateMachine{T}"/>: each with its body and the states it may go to, plus
/// <see cref="OnStart"/> callbacks. <see cref="Build"/> checks the whole.
/// </summary>
/// <typeparam name="T">The context every state receives.</typeparam>
public sealed class StateMachineBuilder<T>
{
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly List<(string Name, string[] To, StateMachine<T>.StateBody Body)> _states = [];
    private Action<string, T, object?>? _onStart;
    private Action<StateMachineRun, string?, string>? _onTransition;
    private int _historyCapacity = DefaultHistoryCapacity;

    /// <summary>The transitions a run keeps unless <see cref="History"/> says otherwise.</summary>
    internal const int DefaultHistoryCapacity = 64;

    internal StateMachineBuilder(string name, ILogger? logger)
    {
        _name = name;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Declares a state that may go to the states in <paramref name="to"/>, with an asynchronous body.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="to">The states it may go to; checked by <see cref="Build"/>.</param>
    /// <param name="body">The state's work; it returns <see cref="StateContext.GoTo"/> or <see cref="StateContext.End"/>.
    /// A body that throws (or returns a faulted task) faults the run; one that gives up with an
    /// <see cref="OperationCanceledException"/> after <see cref="StateMachineRun.Cancel"/> ends it cancelled.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> or a target is null, empty or white space.</exception>
    /// <remarks>
    /// An <see langword="async"/> lambda, a lambda returning a <see cref="Task{TResult}"/> (such as
    /// <c>Task.FromResult(s.End())</c>) and a lambda that only throws bind to this overload (it has priority over the
    /// synchronous and value-task ones wherever several apply). A state whose work never waits is cheaper as a synchronous
    /// body (the overload taking a <c>Func&lt;T, StateContext, StateTransition&gt;</c>): no task per transition. A body
    /// that returns a null task faults the run.
    /// </remarks>
    [OverloadResolutionPriority(1)]
    public StateMachineBuilder<T> State(string name, IReadOnlyCollection<string> to, Func<T, StateContext, Task<StateTransition>> body)
    {
        var targets = Targets(name, to);
        Guard.NotNull(body, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        _states.Add((name, targets, new StateMachine<T>.StateBody(body)));
        return this;
    }

    /// <summary>
    /// Declares a state that may go to the states in <paramref name="to"/>, with a synchronous body: it runs in the flow
    /// of the state before (or on the thread pool if it is the first), and a sequence of synchronous states runs as a
    /// loop, with no task, no stack growth and no allocation but the state's <see cref="StateContext"/> per transition.
    /// </summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="to">The states it may go to; checked by <see cref="Build"/>.</param>
    /// <param name="body">The state's work; it returns <see cref="StateContext.GoTo"/> or <see cref="StateContext.End"/>.
    /// A body that throws faults the run (an <see cref="OperationCanceledException"/> after
    /// <see cref="StateMachineRun.Cancel"/> ends it cancelled). It should not block: it holds a thread-pool thread.
    /// Cancellation is checked between states, so <see cref="StateMachineRun.Cancel"/> ends even an endless cycle of
    /// synchronous states before its next state.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> or a target is null, empty or white space.</exception>
    public StateMachineBuilder<T> State(string name, IReadOnlyCollection<string> to, Func<T, StateContext, StateTransition> body)
    {
        var targets = Targets(name, to);
        Guard.NotNull(body, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        _states.Add((name, targets, new StateMachine<T>.StateBody(body)));
        return this;
    }

    /// <summary>
    /// Declares a state that may go to the states in <paramref name="to"/>, with a body that usually completes
    /// synchronously: a completed <see cref="ValueTask{TResult}"/> costs no more than a synchronous body, and the run
    /// awaits one that is not completed, as it awaits a <see cref="Task{TResult}"/>.
    /// </summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="to">The states it may go to; checked by <see cref="Build"/>.</param>
    /// <param name="body">The state's work; it returns <see cref="StateContext.GoTo"/> or <see cref="StateContext.End"/>.
    /// A body that throws (or whose value task faults) faults the run; one that gives up with an
    /// <see cref="OperationCanceledException"/> after <see cref="StateMachineRun.Cancel"/> ends it cancelled. The run
    /// awaits the value task once, as its contract requires.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> or a target is null, empty or white space.</exception>
    /// <remarks>
    /// An <see langword="async"/> lambda binds to the <see cref="Task{TResult}"/> overload; this one takes a method group
    /// (an <c>async ValueTask&lt;StateTransition&gt;</c> method) or a lambda returning a
    /// <see cref="ValueTask{TResult}"/>, e.g. <c>(c, s) =&gt; c.TryTake() ? new(s.GoTo("next")) : WaitAsync(c, s)</c>.
    /// </remarks>
    public StateMachineBuilder<T> State(string name, IReadOnlyCollection<string> to, Func<T, StateContext, ValueTask<StateTransition>> body)
    {
        var targets = Targets(name, to);
        Guard.NotNull(body, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        _states.Add((name, targets, new StateMachine<T>.StateBody(body)));
        return this;
    }

    /// <summary>Declares a terminal state with an asynchronous body: it may not go anywhere, and ends the run with
    /// <see cref="StateContext.End"/>.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="body">The state's work; as for <see cref="State(string, IReadOnlyCollection{string}, Func{T, StateContext, Task{StateTransition}})"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    [OverloadResolutionPriority(1)]
    public StateMachineBuilder<T> State(string name, Func<T, StateContext, Task<StateTransition>> body) => State(name, [], body);

    /// <summary>Declares a terminal state with a synchronous body: it may not go anywhere, and ends the run with
    /// <see cref="StateContext.End"/>.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="body">The state's work; as for <see cref="State(string, IReadOnlyCollection{string}, Func{T, StateContext, StateTransition})"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public StateMachineBuilder<T> State(string name, Func<T, StateContext, StateTransition> body) => State(name, [], body);

    /// <summary>Declares a terminal state with a body that usually completes synchronously: it may not go anywhere, and
    /// ends the run with <see cref="StateContext.End"/>.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="body">The state's work; as for <see cref="State(string, IReadOnlyCollection{string}, Func{T, StateContext, ValueTask{StateTransition}})"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public StateMachineBuilder<T> State(string name, Func<T, StateContext, ValueTask<StateTransition>> body) => State(name, [], body);

    /// <summary>
    /// Sets how many transitions each run keeps in <see cref="StateMachineRun.History"/>: the most recent
    /// <paramref name="capacity"/>, oldest first, in a ring buffer that stops growing (and allocating) once full;
    /// <c>0</c> keeps none (and takes no lock per transition); <see cref="int.MaxValue"/> keeps every transition, for
    /// short runs only, as its memory grows with the run. The default is 64. The log, the telemetry and the
    /// <see cref="OnTransition"/> and <see cref="StateMachineRun.Transitioned"/> observers see every transition whatever
    /// the capacity.
    /// </summary>
    /// <param name="capacity">The number of transitions a run keeps; 0 for none.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
    public StateMachineBuilder<T> History(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _historyCapacity = capacity;
        return this;
    }

    /// <summary>
    /// Adds a callback run whenever a state starts, with (state, context, args): in the flow that issued the transition
    /// (the caller of <see cref="StateMachine{T}.Start"/> for the first state, else the previous state's flow, after its
    /// body returned), before the new state's body and before the transition is recorded. If it throws, the transition
    /// does not happen: <see cref="StateMachine{T}.Start"/> throws, or the run faults.
    /// </summary>
    /// <param name="callback">The callback.</param>
    /// <returns>This builder.</returns>
    public StateMachineBuilder<T> OnStart(Action<string, T, object?> callback)
    {
        Guard.NotNull(callback, "State machine", _name);
        _onStart += callback;
        return this;
    }

    /// <summary>
    /// Adds an observer of every transition of every run, the initial one included, with (run, from, to); the hook for
    /// telemetry. It runs after the transition is recorded, before the new state's body; a throwing observer is logged.
    /// </summary>
    /// <param name="observer">The observer.</param>
    /// <returns>This builder.</returns>
    public StateMachineBuilder<T> OnTransition(Action<StateMachineRun, string?, string> observer)
    {
        Guard.NotNull(observer, "State machine", _name);
        _onTransition += observer;
        return this;
    }

    /// <summary>Checks the definition and builds the machine.</summary>
    /// <returns>The machine, immutable and reusable for any number of runs.</returns>
    /// <exception cref="InvalidOperationException">No state, a state declared twice, or a transition to a state that is
    /// not declared; the message names every such state.</exception>
    public StateMachine<T> Build()
    {
        if (_states.Count == 0)
        {
            throw new InvalidOperationException($"State machine '{_name}' has no states.");
        }

        var problems = new List<string>();
        var states = new StateMachine<T>.StateDefinition[_states.Count];
        var byName = new Dictionary<string, StateMachine<T>.StateDefinition>(StringComparer.Ordinal);
        for (var i = 0; i < states.Length; i++)
        {
            var (name, to, body) = _states[i];
            states[i] = new StateMachine<T>.StateDefinition(name, i, to, body);
            if (!byName.TryAdd(name, states[i]))
            {
                problems.Add($"state '{name}' is declared twice");
            }
        }

        foreach (var state in states)
        {
            var targets = new StateDeclaration[state.AllowedNames.Length];
            for (var i = 0; i < targets.Length; i++)
            {
                var target = state.AllowedNames[i];
                if (byName.TryGetValue(target, out var definition))
                {
                    targets[i] = definition;
                }
                else
                {
                    problems.Add($"state '{state.Name}' declares a transition to '{target}', which is not a declared state");
                }
            }

            state.Targets = targets;
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"State machine '{_name}': {string.Join("; ", problems.Distinct())} (declared states: "
                + $"{string.Join(", ", byName.Keys.Select(k => $"'{k}'"))}).");
        }

        return new StateMachine<T>(_name, states, byName, _onStart, _onTransition, _historyCapacity, _logger);
    }

    /// <summary>Checks a state's name and targets; the targets without duplicates, in declaration order.</summary>
    private string[] Targets(string name, IReadOnlyCollection<string> to)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Guard.NotNull(to, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        var targets = new List<string>(to.Count);
        foreach (var target in to)
        {
            if (string.IsNullOrWhiteSpace(target))
            {
                throw new ArgumentException(
                    $"State machine '{_name}': state '{name}' declares a null or empty transition target.", nameof(to));
            }

            if (!targets.Contains(target, StringComparer.Ordinal))
            {
                targets.Add(target);
            }
        }

        return [.. targets];
    }
}
