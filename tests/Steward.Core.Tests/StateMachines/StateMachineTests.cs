using Steward.StateMachines;

namespace Steward.Tests.StateMachines;

public class StateMachineTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [ThreadStatic]
    private static bool s_insideStart;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_flower_records_its_history_in_order(bool eaten)
    {
        var plant = new Plant { Eaten = eaten };
        var run = Flower().Start(plant, "sprouting");

        await run.Completion.WaitAsync(s_generous);

        (string?, string)[] expected = eaten
            ? [(null, "sprouting"), ("sprouting", "growing"), ("growing", "flowering"), ("flowering", "dead")]
            : [(null, "sprouting"), ("sprouting", "growing"), ("growing", "flowering"), ("flowering", "withering"), ("withering", "dead")];
        Assert.Equal(expected, run.History);
        Assert.Equal(expected.Select(t => t.Item2), plant.Visited);
        Assert.Equal("dead", run.Current);
        Assert.Equal(eaten, plant.DiedEaten);
        Assert.Null(run.Exception);
        Assert.True(run.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_foo_bar_cycle_runs_11_times_then_ends()
    {
        var counter = new Counter();
        var machine = StateMachine.Define<Counter>("cycle")
            .State("foo", to: ["bar"], (c, s) => Task.FromResult(++c.Value == 11 ? s.End() : s.GoTo("bar")))
            .State("bar", to: ["foo"], (c, s) => Task.FromResult(s.GoTo("foo")))
            .Build();

        var run = machine.Start(counter, "foo");
        await run.Completion.WaitAsync(s_generous);

        Assert.Equal(11, counter.Value);
        var history = run.History;
        Assert.Equal(21, history.Count); // (null, foo), then ten foo -> bar -> foo rounds
        Assert.Equal((null, "foo"), history[0]);
        for (var i = 1; i < history.Count; i++)
        {
            Assert.Equal(i % 2 == 1 ? ("foo", "bar") : ("bar", "foo"), history[i]);
        }

        Assert.Equal("foo", run.Current);
    }

    [Fact]
    public async Task An_undeclared_transition_throws_inside_the_state_where_it_can_be_caught()
    {
        InvalidTransitionException? caught = null;
        var machine = StateMachine.Define<Counter>("careful")
            .State("start", to: ["middle"], (c, s) =>
            {
                try
                {
                    return Task.FromResult(s.GoTo("finish"));
                }
                catch (InvalidTransitionException ex)
                {
                    caught = ex;
                    return Task.FromResult(s.GoTo("middle"));
                }
            })
            .State("middle", to: ["finish"], (c, s) => Task.FromResult(s.GoTo("finish")))
            .State("finish", (c, s) => Task.FromResult(s.End()))
            .Build();

        var run = machine.Start(new Counter(), "start");
        await run.Completion.WaitAsync(s_generous);

        Assert.NotNull(caught);
        Assert.Equal("careful", caught.MachineName);
        Assert.Equal("start", caught.From);
        Assert.Equal("finish", caught.To);
        Assert.Equal(["middle"], caught.Allowed);
        Assert.Contains("'start' cannot move to 'finish'", caught.Message);
        Assert.Contains("'middle'", caught.Message);
        Assert.Equal([(null, "start"), ("start", "middle"), ("middle", "finish")], run.History);
    }

    [Fact]
    public async Task An_uncaught_undeclared_transition_faults_the_run_and_records_no_transition()
    {
        var entered = new List<string>();
        var machine = StateMachine.Define<Counter>("strict")
            .State("start", to: ["allowed"], (c, s) => Task.FromResult(s.GoTo("elsewhere")))
            .State("allowed", to: ["elsewhere"], (c, s) => { entered.Add("allowed"); return Task.FromResult(s.End()); })
            .State("elsewhere", (c, s) => { entered.Add("elsewhere"); return Task.FromResult(s.End()); })
            .Build();

        var run = machine.Start(new Counter(), "start");
        var error = await Assert.ThrowsAsync<InvalidTransitionException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Same(error, run.Exception);
        Assert.True(run.Completion.IsFaulted);
        Assert.Equal([(null, "start")], run.History);
        Assert.Equal("start", run.Current);
        Assert.Empty(entered);
    }

    [Fact]
    public async Task A_terminal_state_cannot_go_anywhere()
    {
        var machine = StateMachine.Define<Counter>("final")
            .State("end", (c, s) => Task.FromResult(s.GoTo("end")))
            .Build();

        var run = machine.Start(new Counter(), "end");
        var error = await Assert.ThrowsAsync<InvalidTransitionException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Empty(error.Allowed);
        Assert.Contains("terminal", error.Message);
    }

    [Fact]
    public async Task OnStart_receives_state_context_and_args_before_each_states_body()
    {
        var events = new List<string>();
        var counter = new Counter();
        Counter? seenContext = null;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("announced")
            .State("first", to: ["second"], async (c, s) =>
            {
                await gate.Task;
                events.Add($"body first {s.Args}");
                return s.GoTo("second", "to second");
            })
            .State("second", (c, s) =>
            {
                events.Add($"body second {s.Args}");
                return Task.FromResult(s.End());
            })
            .OnStart((state, context, args) =>
            {
                seenContext = context;
                events.Add($"start {state} {args}");
            })
            .Build();

        var run = machine.Start(counter, "first", "to first");
        Assert.Equal(["start first to first"], events); // the first OnStart ran inside Start, in the issuing context
        gate.SetResult();
        await run.Completion.WaitAsync(s_generous);

        Assert.Same(counter, seenContext);
        Assert.Equal(["start first to first", "body first to first", "start second to second", "body second to second"], events);
    }

    [Fact]
    public async Task A_throwing_OnStart_prevents_the_transition()
    {
        var machine = StateMachine.Define<Counter>("picky")
            .State("a", to: ["b"], (c, s) => Task.FromResult(s.GoTo("b")))
            .State("b", (c, s) => Task.FromResult(s.End()))
            .OnStart((state, c, args) =>
            {
                if (state == "b")
                {
                    throw new FormatException("no b");
                }
            })
            .Build();

        var run = machine.Start(new Counter(), "a");
        await Assert.ThrowsAsync<FormatException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Equal([(null, "a")], run.History);
    }

    [Fact]
    public async Task The_first_body_runs_asynchronously_never_inside_Start()
    {
        using var gate = new ManualResetEventSlim();
        var sawInsideStart = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("later")
            .State("only", (c, s) =>
            {
                sawInsideStart.SetResult(s_insideStart);
                gate.Wait(s_generous); // would block Start if the body ran inside it
                return Task.FromResult(s.End());
            })
            .Build();

        s_insideStart = true;
        StateMachineRun run;
        try
        {
            run = machine.Start(new Counter(), "only");
        }
        finally
        {
            s_insideStart = false;
        }

        gate.Set();
        Assert.False(await sawInsideStart.Task.WaitAsync(s_generous));
        await run.Completion.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Cancel_cancels_the_current_states_token_and_the_run_ends_cancelled()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = false;
        var machine = StateMachine.Define<Counter>("patient")
            .State("wait", to: ["next"], async (c, s) =>
            {
                waiting.SetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, s.Token);
                }
                catch (OperationCanceledException)
                {
                    sawCancel = s.Token.IsCancellationRequested;
                    throw;
                }

                return s.GoTo("next");
            })
            .State("next", (c, s) => Task.FromResult(s.End()))
            .Build();

        var run = machine.Start(new Counter(), "wait");
        await waiting.Task.WaitAsync(s_generous);
        run.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(s_generous));
        Assert.True(sawCancel);
        Assert.True(run.Completion.IsCanceled);
        Assert.Null(run.Exception);
        Assert.Equal([(null, "wait")], run.History);
    }

    [Fact]
    public async Task No_new_state_starts_after_a_cancel_even_if_the_state_ignores_its_token()
    {
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("stubborn")
            .State("a", to: ["b"], (c, s) =>
            {
                entered.SetResult();
                gate.Wait(s_generous);
                return Task.FromResult(s.GoTo("b"));
            })
            .State("b", (c, s) => { c.Value++; return Task.FromResult(s.End()); })
            .Build();
        var counter = new Counter();
        using var external = new CancellationTokenSource();

        var run = machine.Start(counter, "a", cancellationToken: external.Token);
        await entered.Task.WaitAsync(s_generous);
        await external.CancelAsync(); // the token given to Start cancels the run too
        gate.Set();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(s_generous));
        Assert.Equal(0, counter.Value);
        Assert.Equal([(null, "a")], run.History);
    }

    [Fact]
    public async Task Every_transition_is_observed_by_OnTransition_and_Transitioned()
    {
        var observed = new List<(string?, string)>();
        var runEvents = new List<(string?, string)>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("watched")
            .State("a", to: ["b"], async (c, s) => { await gate.Task; return s.GoTo("b"); })
            .State("b", (c, s) => Task.FromResult(s.End()))
            .OnTransition((run, from, to) => observed.Add((from, to)))
            .OnTransition((run, from, to) => throw new InvalidCastException("a broken observer"))
            .Build();

        var run = machine.Start(new Counter(), "a");
        run.Transitioned += (r, from, to) =>
        {
            Assert.Same(run, r);
            runEvents.Add((from, to));
        };
        gate.SetResult();
        await run.Completion.WaitAsync(s_generous);

        Assert.Equal([(null, "a"), ("a", "b")], observed);
        Assert.Equal([("a", "b")], runEvents);
    }

    [Fact]
    public async Task A_body_that_returns_no_transition_faults_the_run_naming_the_state()
    {
        var machine = StateMachine.Define<Counter>("sloppy")
            .State("lazy", (c, s) => Task.FromResult(default(StateTransition)))
            .Build();

        var run = machine.Start(new Counter(), "lazy");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Contains("'lazy'", error.Message);
        Assert.Contains("'sloppy'", error.Message);
    }

    [Fact]
    public async Task A_body_that_returns_another_states_transition_faults_the_run()
    {
        var stolen = default(StateTransition);
        var machine = StateMachine.Define<Counter>("thief")
            .State("a", to: ["b"], (c, s) => Task.FromResult(stolen = s.GoTo("b")))
            .State("b", to: ["b"], (c, s) => Task.FromResult(stolen))
            .Build();

        var run = machine.Start(new Counter(), "a");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Contains("another state", error.Message);
        Assert.Equal([(null, "a"), ("a", "b")], run.History);
    }

    [Fact]
    public async Task A_machine_runs_many_times_concurrently_with_independent_histories()
    {
        var machine = StateMachine.Define<Counter>("shared")
            .State("foo", to: ["bar"], async (c, s) => { await Task.Yield(); return ++c.Value == 5 ? s.End() : s.GoTo("bar"); })
            .State("bar", to: ["foo"], (c, s) => Task.FromResult(s.GoTo("foo")))
            .Build();

        var runs = Enumerable.Range(0, 50).Select(_ => (Counter: new Counter(), Run: default(StateMachineRun)!)).ToList();
        runs = runs.Select(r => (r.Counter, machine.Start(r.Counter, "foo"))).ToList();
        await Task.WhenAll(runs.Select(r => r.Run.Completion)).WaitAsync(s_generous);

        Assert.All(runs, r =>
        {
            Assert.Equal(5, r.Counter.Value);
            Assert.Equal(9, r.Run.History.Count);
        });
    }

    private static StateMachine<Plant> Flower() => StateMachine.Define<Plant>("flower")
        .State("sprouting", to: ["growing"], async (plant, s) =>
        {
            plant.Visited.Add(s.State);
            await Task.Yield(); // germination
            return s.GoTo("growing");
        })
        .State("growing", to: ["flowering"], (plant, s) =>
        {
            plant.Visited.Add(s.State);
            return Task.FromResult(s.GoTo("flowering"));
        })
        .State("flowering", to: ["dead", "withering"], (plant, s) =>
        {
            plant.Visited.Add(s.State);
            return Task.FromResult(plant.Eaten ? s.GoTo("dead", new Death(Eaten: true)) : s.GoTo("withering"));
        })
        .State("withering", to: ["dead"], (plant, s) =>
        {
            plant.Visited.Add(s.State);
            return Task.FromResult(s.GoTo("dead"));
        })
        .State("dead", (plant, s) =>
        {
            plant.Visited.Add(s.State);
            plant.DiedEaten = s.Args is Death { Eaten: true };
            return Task.FromResult(s.End());
        })
        .Build();

    private sealed record Death(bool Eaten);

    private sealed class Plant
    {
        public bool Eaten { get; init; }

        public bool DiedEaten { get; set; }

        public List<string> Visited { get; } = [];
    }

    private sealed class Counter
    {
        public int Value;
    }
}
