namespace Steward.StateMachines;

/// <summary>
/// What a state's body returns: the next state and its arguments (<see cref="StateContext.GoTo"/>), or the end of the
/// run (<see cref="StateContext.End"/>). Only a <see cref="StateContext"/> makes one, after checking the transition.
/// </summary>
/// <remarks>
/// A small value, so a transition allocates nothing (a synchronous state costs no more than its <see cref="StateContext"/>).
/// <see langword="default"/>(<see cref="StateTransition"/>) is no transition: its <see cref="From"/> is empty, its
/// <see cref="To"/> <see langword="null"/>, <see cref="IsEnd"/> <see langword="false"/>, and a body that returns it faults
/// the run, as one that returns a transition made by another state's context does.
/// </remarks>
public readonly struct StateTransition
{
    internal StateTransition(StateContext context, StateDeclaration? target, object? args)
    {
        Context = context;
        Target = target;
        Args = args;
    }

    /// <summary>The state the transition leaves; empty for <see langword="default"/>.</summary>
    public string From => Context?.State ?? string.Empty;

    /// <summary>The state the transition enters; <see langword="null"/> when the run ends (and for <see langword="default"/>).</summary>
    public string? To => Target?.Name;

    /// <summary>The arguments for the next state (its <see cref="StateContext.Args"/>).</summary>
    public object? Args { get; }

    /// <summary><see langword="true"/> if the run ends here (made by <see cref="StateContext.End"/>).</summary>
    public bool IsEnd => Context is not null && Target is null;

    /// <summary>The context that made (and checked) this transition; <see langword="null"/> for <see langword="default"/>.</summary>
    internal StateContext? Context { get; }

    /// <summary>The state entered; <see langword="null"/> when the run ends.</summary>
    internal StateDeclaration? Target { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Context is null ? "(no transition)" : Target is null ? $"{From} -> end" : $"{From} -> {Target.Name}";
}
