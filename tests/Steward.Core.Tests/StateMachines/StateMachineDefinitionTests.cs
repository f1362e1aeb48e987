using Steward.StateMachines;

namespace Steward.Tests.StateMachines;

public class StateMachineDefinitionTests
{
    [Fact]
    public void Build_refuses_a_transition_to_an_undeclared_state_naming_both()
    {
        var builder = StateMachine.Define<object>("typo")
            .State("a", to: ["bb"], (c, s) => Task.FromResult(s.End()))
            .State("b", (c, s) => Task.FromResult(s.End()));

        var error = Assert.Throws<InvalidOperationException>(builder.Build);

        Assert.Contains("'typo'", error.Message);
        Assert.Contains("state 'a' declares a transition to 'bb', which is not a declared state", error.Message);
    }

    [Fact]
    public void Build_refuses_a_state_declared_twice_naming_it()
    {
        var builder = StateMachine.Define<object>("twice")
            .State("a", (c, s) => Task.FromResult(s.End()))
            .State("a", (c, s) => Task.FromResult(s.End()));

        var error = Assert.Throws<InvalidOperationException>(builder.Build);

        Assert.Contains("state 'a' is declared twice", error.Message);
    }

    [Fact]
    public void Build_refuses_a_machine_without_states_and_bad_arguments_are_refused_at_once()
    {
        Assert.Throws<InvalidOperationException>(StateMachine.Define<object>("empty").Build);
        Assert.Throws<ArgumentException>(() => StateMachine.Define<object>(" "));
        var builder = StateMachine.Define<object>("args");
        Assert.Throws<ArgumentException>(() => builder.State("", (c, s) => Task.FromResult(s.End())));
        Assert.Throws<ArgumentException>(() => builder.State("x", to: [""], (c, s) => Task.FromResult(s.End())));
        Assert.Throws<ArgumentNullException>(() => builder.State("x", null!));
    }

    [Fact]
    public void Start_refuses_an_undeclared_initial_state_naming_it()
    {
        var machine = StateMachine.Define<object>("known")
            .State("a", (c, s) => Task.FromResult(s.End()))
            .Build();

        var error = Assert.Throws<ArgumentException>(() => machine.Start(new object(), "z"));

        Assert.Contains("'known' has no state 'z'", error.Message);
        Assert.Contains("'a'", error.Message);
    }

    [Fact]
    public void The_machine_lists_its_states_and_transitions()
    {
        var machine = Flower();

        Assert.Equal(["sprouting", "growing", "flowering", "withering", "dead"], machine.States);
        Assert.Equal(["dead", "withering"], machine.TransitionsFrom("flowering"));
        Assert.Empty(machine.TransitionsFrom("dead"));
        Assert.Throws<ArgumentException>(() => machine.TransitionsFrom("nowhere"));
    }

    [Fact]
    public void The_Mermaid_output_names_every_declared_transition()
    {
        var mermaid = Flower().ToMermaid();

        Assert.Contains("stateDiagram-v2", mermaid);
        Assert.Contains("title: \"flower\"", mermaid);
        foreach (var line in new[]
        {
            "sprouting --> growing", "growing --> flowering", "flowering --> dead", "flowering --> withering",
            "withering --> dead", "dead --> [*]",
        })
        {
            Assert.Contains("    " + line + "\n", mermaid);
        }

        Assert.Equal(6, mermaid.Split('\n').Count(l => l.Contains("-->")));
    }

    [Fact]
    public void The_Mermaid_output_aliases_names_that_are_not_plain_identifiers()
    {
        var mermaid = StateMachine.Define<object>("odd")
            .State("waiting for \"input\"", to: ["end"], (c, s) => Task.FromResult(s.End()))
            .State("end", (c, s) => Task.FromResult(s.End()))
            .Build()
            .ToMermaid();

        Assert.Contains("state \"waiting for \\\"input\\\"\" as s0", mermaid);
        Assert.Contains("state \"end\" as s1", mermaid);
        Assert.Contains("s0 --> s1", mermaid);
        Assert.Contains("s1 --> [*]", mermaid);
    }

    [Fact]
    public void The_Dot_output_is_a_digraph_with_every_state_and_transition()
    {
        var dot = Flower().ToDot();

        Assert.StartsWith("digraph \"flower\" {", dot);
        Assert.Contains("\"dead\" [shape=doublecircle];", dot);
        Assert.Contains("\"sprouting\" [shape=ellipse];", dot);
        Assert.Contains("\"flowering\" -> \"withering\";", dot);
        Assert.Equal(5, dot.Split('\n').Count(l => l.Contains("->")));
        Assert.EndsWith("}\n", dot);
    }

    private static StateMachine<object> Flower() => StateMachine.Define<object>("flower")
        .State("sprouting", to: ["growing"], (c, s) => Task.FromResult(s.GoTo("growing")))
        .State("growing", to: ["flowering"], (c, s) => Task.FromResult(s.GoTo("flowering")))
        .State("flowering", to: ["dead", "withering"], (c, s) => Task.FromResult(s.GoTo("dead")))
        .State("withering", to: ["dead"], (c, s) => Task.FromResult(s.GoTo("dead")))
        .State("dead", (c, s) => Task.FromResult(s.End()))
        .Build();
}
