namespace Steward.StateMachines;

/// <summary>
/// What a state's body returns: the next state and its arguments (<see cref="StateContext.GoTo"/>), or the end of the
/// run (<see cref="StateContext.End"/>). Only a <see cref="StateContext"/> makes one, after checking the transition.
/// </summary>
public sealed class StateTransition
{
    internal StateTransition(StateContext context, string? to, object? args)
    {
        Context = context;
        To = to;
        Args = args;
    }

    /// <summary>The state the transition leaves.</summary>
    public string From => Context.State;

    /// <summary>The state the transition enters; <see langword="null"/> when the run ends.</summary>
    public string? To { get; }

    /// <summary>The arguments for the next state (its <see cref="StateContext.Args"/>).</summary>
    public object? Args { get; }

    /// <summary><see langword="true"/> if the run ends here.</summary>
    public bool IsEnd => To is null;

    /// <summary>The context that made (and checked) this transition.</summary>
    internal StateContext Context { get; }

    /// <inheritdoc/>
    public override string ToString() => To is null ? $"{From} -> end" : $"{From} -> {To}";
}
