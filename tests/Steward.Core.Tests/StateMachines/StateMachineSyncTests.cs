using Steward.StateMachines;

namespace Steward.Tests.StateMachines;

/// <summary>
/// Synchronous and value-task states beside asynchronous ones, and the history's capacity: bounded (the most recent
/// transitions, in order), off, unbounded.
/// </summary>
public class StateMachineSyncTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Synchronous_states_run_in_order_and_end_the_run()
    {
        var visited = new List<string>();
        var machine = StateMachine.Define<Counter>("sync")
            .State("a", to: ["b"], (c, s) => { visited.Add(s.State); return s.GoTo("b", 2); })
            .State("b", to: ["c"], (c, s) => { visited.Add($"{s.State} {s.Args}"); return s.GoTo("c"); })
            .State("c", (c, s) => { visited.Add(s.State); return s.End(); })
            .Build();

        var run = machine.Start(new Counter(), "a");
        await run.Completion.WaitAsync(s_generous);

        Assert.Equal(["a", "b 2", "c"], visited);
        Assert.Equal([(null, "a"), ("a", "b"), ("b", "c")], run.History);
        Assert.Equal("c", run.Current);
        Assert.True(run.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Synchronous_asynchronous_and_value_task_states_mix_in_one_run()
    {
        var visited = new List<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("mixed")
            .State("sync", to: ["async"], (c, s) => { visited.Add(s.State); return s.GoTo("async"); })
            .State("async", to: ["completed value"], async (c, s) =>
            {
                await gate.Task;
                visited.Add(s.State);
                return s.GoTo("completed value");
            })
            .State("completed value", to: ["pending value"], (c, s) =>
            {
                visited.Add(s.State);
                return new ValueTask<StateTransition>(s.GoTo("pending value"));
            })
            .State("pending value", to: ["sync again"], PendingValueAsync)
            .State("sync again", to: ["sync", "done"], (c, s) =>
            {
                visited.Add(s.State);
                return ++c.Value < 2 ? s.GoTo("sync") : s.GoTo("done");
            })
            .State("done", (c, s) => Task.FromResult(s.End()))
            .Build();

        var run = machine.Start(new Counter(), "sync");
        gate.SetResult();
        await run.Completion.WaitAsync(s_generous);

        string[] round = ["sync", "async", "completed value", "pending value", "sync again"];
        Assert.Equal([.. round, .. round], visited);
        Assert.Equal(11, run.History.Count); // the initial transition, five per round, then "done"
        Assert.Equal(("sync again", "done"), run.History[^1]);

        async ValueTask<StateTransition> PendingValueAsync(Counter counter, StateContext s)
        {
            await Task.Yield();
            visited.Add(s.State);
            return s.GoTo("sync again");
        }
    }

    [Fact]
    public async Task A_synchronous_state_that_throws_faults_the_run_and_records_no_transition()
    {
        var machine = StateMachine.Define<Counter>("throwing")
            .State("a", to: ["b"], (c, s) => s.GoTo("b"))
            .State("b", to: ["c"], StateTransition (c, s) => throw new FormatException("broken b"))
            .State("c", (c, s) => s.End())
            .Build();

        var run = machine.Start(new Counter(), "a");
        var error = await Assert.ThrowsAsync<FormatException>(() => run.Completion.WaitAsync(s_generous));

        Assert.Same(error, run.Exception);
        Assert.Equal([(null, "a"), ("a", "b")], run.History);
        Assert.Equal("b", run.Current);
    }

    [Fact]
    public async Task An_undeclared_transition_from_a_synchronous_state_can_be_caught_or_faults_the_run()
    {
        InvalidTransitionException? caught = null;
        var machine = StateMachine.Define<Counter>("strict sync")
            .State("careful", to: ["reckless"], (c, s) =>
            {
                try
                {
                    return s.GoTo("nowhere");
                }
                catch (InvalidTransitionException ex)
                {
                    caught = ex;
                    return s.GoTo("reckless");
                }
            })
            .State("reckless", to: ["careful"], (c, s) => s.GoTo("nowhere"))
            .Build();

        var run = machine.Start(new Counter(), "careful");
        var error = await Assert.ThrowsAsync<InvalidTransitionException>(() => run.Completion.WaitAsync(s_generous));

        Assert.NotNull(caught);
        Assert.Equal(("careful", "nowhere"), (caught.From, caught.To));
        Assert.Equal(("reckless", "nowhere"), (error.From, error.To));
        Assert.Equal(["careful"], error.Allowed);
        Assert.Equal([(null, "careful"), ("careful", "reckless")], run.History);
    }

    [Fact]
    public async Task A_synchronous_body_returning_no_transition_or_another_states_faults_the_run()
    {
        var stolen = default(StateTransition);
        var machine = StateMachine.Define<Counter>("sloppy sync")
            .State("a", to: ["b"], (c, s) => stolen = s.GoTo("b"))
            .State("b", to: ["b"], (c, s) => stolen)
            .State("lazy", StateTransition (c, s) => default)
            .Build();

        var thief = machine.Start(new Counter(), "a");
        var lazy = machine.Start(new Counter(), "lazy");

        Assert.Contains("another state", (await Assert.ThrowsAsync<InvalidOperationException>(() => thief.Completion.WaitAsync(s_generous))).Message);
        Assert.Contains("returned no transition", (await Assert.ThrowsAsync<InvalidOperationException>(() => lazy.Completion.WaitAsync(s_generous))).Message);
    }

    [Fact]
    public void A_default_transition_is_no_transition()
    {
        var none = default(StateTransition);

        Assert.False(none.IsEnd);
        Assert.Null(none.To);
        Assert.Equal("", none.From);
        Assert.Null(none.Args);
        Assert.Equal("(no transition)", none.ToString());
    }

    [Fact]
    public async Task Cancel_ends_an_endless_cycle_of_synchronous_states_between_two_states()
    {
        var counter = new Counter();
        var spinning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("endless")
            .State("ping", to: ["pong"], (c, s) =>
            {
                if (++c.Value == 1_000)
                {
                    spinning.SetResult();
                }

                return s.GoTo("pong");
            })
            .State("pong", to: ["ping"], (c, s) => s.GoTo("ping"))
            .Build();

        var run = machine.Start(counter, "ping");
        await spinning.Task.WaitAsync(s_generous);
        run.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(s_generous));
        Assert.True(run.Completion.IsCanceled);
        Assert.Null(run.Exception);
        var final = Volatile.Read(ref counter.Value);
        await Task.Delay(50);
        Assert.Equal(final, Volatile.Read(ref counter.Value)); // no state started after the run ended
        var last = run.History[^1];
        Assert.Equal(last.To, run.Current);
    }

    [Fact]
    public async Task A_cancel_during_a_synchronous_state_starts_no_new_state()
    {
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = new Counter();
        var machine = StateMachine.Define<Counter>("stubborn sync")
            .State("a", to: ["b"], (c, s) =>
            {
                entered.SetResult();
                gate.Wait(s_generous);
                return s.GoTo("b");
            })
            .State("b", (c, s) => { c.Value++; return s.End(); })
            .Build();

        var run = machine.Start(counter, "a");
        await entered.Task.WaitAsync(s_generous);
        run.Cancel();
        gate.Set();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(s_generous));
        Assert.Equal(0, counter.Value);
        Assert.Equal([(null, "a")], run.History);
    }

    [Fact]
    public void The_history_keeps_64_transitions_unless_told_otherwise()
    {
        var builder = StateMachine.Define<Counter>("capacity").State("only", (c, s) => s.End());

        Assert.Equal(64, builder.Build().HistoryCapacity);
        Assert.Equal(0, builder.History(0).Build().HistoryCapacity);
        Assert.Equal(int.MaxValue, builder.History(int.MaxValue).Build().HistoryCapacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.History(-1));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]    // fewer transitions than the capacity: all of them, the initial one first
    [InlineData(5, 4)]    // exactly full
    [InlineData(5, 21)]   // wrapped several times
    [InlineData(64, 1000)]
    [InlineData(100, 50)] // grown (8, 16, 32, 64) but not full
    [InlineData(100, 150)] // grown to the capacity, then wrapped
    [InlineData(int.MaxValue, 1000)]
    public async Task A_bounded_history_keeps_the_last_transitions_in_order(int capacity, int transitions)
    {
        var run = Cycle(capacity).Start(new Counter { Limit = transitions }, "foo");
        await run.Completion.WaitAsync(s_generous);

        // All the transitions: (null, foo), then foo -> bar -> foo ... alternately, `transitions` in all.
        var all = Enumerable.Range(0, transitions)
            .Select(i => i == 0 ? ((string?)null, "foo") : i % 2 == 1 ? ("foo", "bar") : ("bar", "foo"))
            .ToArray();
        Assert.Equal(all.TakeLast(capacity), run.History);
        Assert.Equal(all[^1].Item2, run.Current);
    }

    [Fact]
    public async Task With_the_history_off_a_run_keeps_none_but_observers_see_every_transition()
    {
        var observed = 0;
        var raised = new List<(string?, string)>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var machine = StateMachine.Define<Counter>("forgetful")
            .State("wait", to: ["foo"], async (c, s) => { await gate.Task; return s.GoTo("foo"); })
            .State("foo", to: ["bar"], (c, s) => ++c.Value == 3 ? s.End() : s.GoTo("bar"))
            .State("bar", to: ["foo"], (c, s) => s.GoTo("foo"))
            .OnTransition((_, _, _) => observed++)
            .History(0)
            .Build();

        var run = machine.Start(new Counter(), "wait");
        run.Transitioned += (_, from, to) => raised.Add((from, to));
        gate.SetResult();
        await run.Completion.WaitAsync(s_generous);

        Assert.Empty(run.History);
        Assert.Equal("foo", run.Current);
        Assert.Equal(6, observed); // (null, wait), wait -> foo, then foo -> bar -> foo twice
        Assert.Equal([("wait", "foo"), ("foo", "bar"), ("bar", "foo"), ("foo", "bar"), ("bar", "foo")], raised);
    }

    private static StateMachine<Counter> Cycle(int historyCapacity) => StateMachine.Define<Counter>("cycle")
        .State("foo", to: ["bar"], (c, s) => ++c.Value == c.Limit ? s.End() : s.GoTo("bar"))
        .State("bar", to: ["foo"], (c, s) => ++c.Value == c.Limit ? s.End() : s.GoTo("foo"))
        .History(historyCapacity)
        .Build();

    private sealed class Counter
    {
        public int Value;

        public int Limit { get; init; } = int.MaxValue;
    }
}
