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
    private readonly List<StateMachine<T>.StateDefinition> _states = [];
    private Action<string, T, object?>? _onStart;
    private Action<StateMachineRun, string?, string>? _onTransition;

    internal StateMachineBuilder(string name, ILogger? logger)
    {
        _name = name;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Declares a state that may go to the states in <paramref name="to"/>.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="to">The states it may go to; checked by <see cref="Build"/>.</param>
    /// <param name="body">The state's work; it returns <see cref="StateContext.GoTo"/> or <see cref="StateContext.End"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> or a target is null, empty or white space.</exception>
    public StateMachineBuilder<T> State(string name, IReadOnlyCollection<string> to, Func<T, StateContext, Task<StateTransition>> body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Guard.NotNull(to, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
        Guard.NotNull(body, (_name, name), static s => $"State machine '{s.Item1}', state '{s.Item2}'");
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

        _states.Add(new StateMachine<T>.StateDefinition(name, targets, body));
        return this;
    }

    /// <summary>Declares a terminal state: it may not go anywhere, and ends the run with <see cref="StateContext.End"/>.</summary>
    /// <param name="name">The state's name (unique in the machine).</param>
    /// <param name="body">The state's work.</param>
    /// <returns>This builder.</returns>
    public StateMachineBuilder<T> State(string name, Func<T, StateContext, Task<StateTransition>> body) => State(name, [], body);

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
        var byName = new Dictionary<string, StateMachine<T>.StateDefinition>(StringComparer.Ordinal);
        foreach (var state in _states)
        {
            if (!byName.TryAdd(state.Name, state))
            {
                problems.Add($"state '{state.Name}' is declared twice");
            }
        }

        foreach (var state in _states)
        {
            foreach (var target in state.Allowed)
            {
                if (!byName.ContainsKey(target))
                {
                    problems.Add($"state '{state.Name}' declares a transition to '{target}', which is not a declared state");
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"State machine '{_name}': {string.Join("; ", problems.Distinct())} (declared states: "
                + $"{string.Join(", ", byName.Keys.Select(k => $"'{k}'"))}).");
        }

        return new StateMachine<T>(_name, [.. _states], byName, _onStart, _onTransition, _logger);
    }
}
