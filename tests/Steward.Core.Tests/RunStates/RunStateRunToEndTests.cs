namespace Steward.Tests.RunStates;

/// <summary><see cref="RunState.RunToEndAsync"/>: <see cref="RunState.RunAsync"/>'s run, reported instead of thrown.</summary>
public class RunStateRunToEndTests
{
    [Fact]
    public async Task A_body_that_returns_succeeds_and_leaves_the_RunState_stopped()
    {
        var runState = new RunState("ok");
        RunState? seen = null;

        var outcome = await runState.RunToEndAsync(rs =>
        {
            seen = RunState.Current;
            return Task.CompletedTask;
        });

        Assert.Same(RunOutcome.Success, outcome);
        Assert.True(outcome.Succeeded);
        Assert.Same(runState, seen);
        Assert.Null(RunState.Current);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
        Assert.False(runState.IsCancelled);
    }

    [Fact]
    public async Task A_failing_body_is_reported_the_RunState_cancelled_then_stopped()
    {
        var runState = new RunState("failing");
        var events = new List<string>();
        runState.Cancelled += _ => events.Add("cancelled");
        runState.Stopped += _ => events.Add("stopped");

        var outcome = await runState.RunToEndAsync(async _ =>
        {
            await Task.Yield();
            throw new FormatException("bad reading");
        });

        Assert.IsType<FormatException>(outcome.Failure);
        Assert.False(outcome.Succeeded);
        Assert.Equal(["cancelled", "stopped"], events);
        Assert.True(runState.IsCancelled);
    }

    [Fact]
    public async Task A_body_that_throws_synchronously_or_returns_null_has_failed()
    {
        var thrown = await new RunState("sync").RunToEndAsync(_ => throw new FormatException("at once"));
        var nothing = await new RunState("null").RunToEndAsync(_ => null!);

        Assert.IsType<FormatException>(thrown.Failure);
        Assert.IsType<InvalidOperationException>(nothing.Failure);
    }

    [Fact]
    public async Task A_body_ended_by_its_RunStates_cancellation_is_not_a_failure_but_another_token_is()
    {
        var runState = new RunState("cancelled");
        var ended = await runState.RunToEndAsync(async rs =>
        {
            rs.Cancel();
            await rs.SleepAsync(TimeSpan.FromMinutes(1));
        });
        using var other = new CancellationTokenSource();
        other.Cancel();
        var foreign = await new RunState("foreign").RunToEndAsync(_ => Task.Delay(Timeout.Infinite, other.Token));

        Assert.True(ended.Succeeded);
        Assert.IsAssignableFrom<OperationCanceledException>(foreign.Failure);
    }

    [Fact]
    public async Task A_throwing_stop_handler_is_reported_beside_the_body_and_the_run_still_stops()
    {
        var runState = new RunState("handler");
        runState.Stopped += _ => throw new InvalidCastException("broken observer");

        var outcome = await runState.RunToEndAsync(_ => Task.CompletedTask);

        Assert.Null(outcome.Failure);
        Assert.IsType<InvalidCastException>(outcome.HandlerFailure);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
    }

    [Fact]
    public void Stop_with_notRunningOk_leaves_a_RunState_that_is_not_running_as_it_is()
    {
        var runState = new RunState("idle");

        runState.Stop(notRunningOk: true);
        Assert.Throws<InvalidRunStateTransitionException>(() => runState.Stop(notRunningOk: false));

        runState.Start();
        runState.Stop(notRunningOk: true);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
    }
}

/// <summary><see cref="RunStateTransition.Sequence"/> orders a RunState's transitions whatever order their handlers run in.</summary>
public class RunStateTransitionSequenceTests
{
    [Fact]
    public async Task Transitions_raised_concurrently_chain_up_when_ordered_by_sequence()
    {
        for (var round = 0; round < 2_000; round++)
        {
            var runState = new RunState("sequenced");
            var seen = new System.Collections.Concurrent.ConcurrentBag<RunStateTransition>();
            runState.StateChanged += seen.Add;
            runState.Start();
            using var go = new Barrier(2);
            var cancelling = Task.Run(() =>
            {
                go.SignalAndWait();
                runState.Cancel();
            });
            go.SignalAndWait();
            runState.Stop();
            await cancelling;

            var ordered = seen.OrderBy(t => t.Sequence).ToList();
            Assert.Equal(Enumerable.Range(1, ordered.Count).Select(i => (long)i), ordered.Select(t => t.Sequence));
            Assert.Equal(RunStateStatus.Idle, ordered[0].From);
            for (var i = 1; i < ordered.Count; i++)
            {
                Assert.Equal(ordered[i - 1].To, ordered[i].From); // a chain: each begins where the one before ended
            }

            Assert.Equal(RunStateStatus.Stopped, ordered[^1].To);
        }
    }
}
