using System.Text;

namespace Steward.StateMachines;

public sealed partial class StateMachine<T>
{
    // Words Mermaid reads as syntax in a state diagram: such states get an alias, like names that are not identifiers.
    private static readonly HashSet<string> s_mermaidReserved =
        new(["state", "note", "end", "direction", "class", "classDef", "click", "style", "as", "left", "right", "of"], StringComparer.Ordinal);

    /// <summary>
    /// The machine as a Mermaid <c>stateDiagram-v2</c>: one <c>from --&gt; to</c> line per declared transition, in
    /// declaration order, and <c>state --&gt; [*]</c> for each terminal state. States whose names are not plain identifiers
    /// are declared with an alias (<c>state "my state" as s1</c>).
    /// </summary>
    /// <returns>The diagram's text.</returns>
    public string ToMermaid()
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append("---\ntitle: ").Append(Quote(Name)).Append("\n---\nstateDiagram-v2\n");
        for (var i = 0; i < _states.Length; i++)
        {
            var name = _states[i].Name;
            if (IsPlainIdentifier(name) && !s_mermaidReserved.Contains(name))
            {
                ids[name] = name;
            }
            else
            {
                ids[name] = $"s{i}";
                text.Append("    state ").Append(Quote(name)).Append(" as s").Append(i).Append('\n');
            }
        }

        foreach (var state in _states)
        {
            foreach (var target in state.Allowed)
            {
                text.Append("    ").Append(ids[state.Name]).Append(" --> ").Append(ids[target]).Append('\n');
            }

            if (state.Allowed.Count == 0)
            {
                text.Append("    ").Append(ids[state.Name]).Append(" --> [*]\n");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The machine as a Graphviz <c>digraph</c>: every state as a node (terminal states as double circles) and one
    /// <c>"from" -&gt; "to"</c> edge per declared transition.
    /// </summary>
    /// <returns>The graph's text.</returns>
    public string ToDot()
    {
        var text = new StringBuilder();
        text.Append("digraph ").Append(Quote(Name)).Append(" {\n");
        foreach (var state in _states)
        {
            text.Append("    ").Append(Quote(state.Name));
            text.Append(state.Allowed.Count == 0 ? " [shape=doublecircle];\n" : " [shape=ellipse];\n");
        }

        foreach (var state in _states)
        {
            foreach (var target in state.Allowed)
            {
                text.Append("    ").Append(Quote(state.Name)).Append(" -> ").Append(Quote(target)).Append(";\n");
            }
        }

        return text.Append("}\n").ToString();
    }

    private static bool IsPlainIdentifier(string name)
    {
        if (!(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal) + "\"";
}
