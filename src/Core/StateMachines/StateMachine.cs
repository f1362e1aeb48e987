using Microsoft.Extensions.Logging;

namespace Steward.StateMachines;

/// <summary>
/// Entry point for state machines with declared transitions: each state is a body (asynchronous, or synchronous when it
/// never waits) that names the next state, <see cref="StateContext.GoTo"/> checks it against the state's declared
/// transitions, and the machine records the transitions of a run (the last 64 by default). Ported from gevent_async's
/// <c>@state</c> decorator.
/// </summary>
/// <example>
/// <code>
/// var flower = StateMachine.Define&lt;Plant&gt;("flower")
///     .State("sprouting", to: ["flowering"], async (plant, s) =&gt; { await plant.GerminateAsync(s.Token); return s.GoTo("flowering"); })
///     .State("flowering", to: ["dead", "withering"], (plant, s) =&gt; s.GoTo("dead", new Eaten(true)))  // synchronous
///     .State("withering", to: ["dead"], (plant, s) =&gt; s.GoTo("dead"))
///     .State("dead", (plant, s) =&gt; s.End())                      // terminal
///     .History(16)                                                // each run keeps its last 16 transitions (default 64)
///     .Build();                                                   // every state named in a to: list is declared
/// StateMachineRun run = flower.Start(plant, "sprouting");
/// await run.Completion;
/// </code>
/// </example>
public static class StateMachine
{
    /// <summary>Begins the definition of a state machine whose states work on a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The context every state receives.</typeparam>
    /// <param name="name">The machine's name, for messages, diagrams and logs.</param>
    /// <param name="logger">Receives transitions (debug), faulted runs and failing observers.</param>
    /// <returns>A builder: add states, then <see cref="StateMachineBuilder{T}.Build"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or white space.</exception>
    public static StateMachineBuilder<T> Define<T>(string name, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new StateMachineBuilder<T>(name, logger);
    }
}
