using System.Collections.ObjectModel;

namespace Steward.StateMachines;

/// <summary>
/// A declared state as a run sees it, whatever the machine's context type: its name, its index in declaration order
/// (what a run's history stores), and the states it may go to, resolved when the machine is built, so a transition is a
/// name comparison in <see cref="StateContext.GoTo"/> and no look-up afterwards.
/// </summary>
internal abstract class StateDeclaration
{
    protected StateDeclaration(string name, int index, string[] allowed)
    {
        Name = name;
        Index = index;
        AllowedNames = allowed;
        Allowed = allowed.Length == 0 ? ReadOnlyCollection<string>.Empty : Array.AsReadOnly(allowed);
    }

    public string Name { get; }

    /// <summary>The position in the machine's declaration order.</summary>
    public int Index { get; }

    /// <summary>The declared targets, in declaration order (not to be modified).</summary>
    public string[] AllowedNames { get; }

    /// <summary><see cref="AllowedNames"/>, read-only, as the public API hands it out.</summary>
    public IReadOnlyList<string> Allowed { get; }

    /// <summary>The states of <see cref="AllowedNames"/>, at the same positions; set once by the machine's constructor.</summary>
    public StateDeclaration[] Targets { get; set; } = [];
}
