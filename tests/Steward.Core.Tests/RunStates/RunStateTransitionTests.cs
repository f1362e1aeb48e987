using Steward.Testing;
namespace Steward.Tests.RunStates;

/// <summary>Every (state, event) pair of DESIGN.md's transition table.</summary>
public class RunStateTransitionTests
{
    private const RunStateStatus Error = (RunStateStatus)(-1);

    // DESIGN.md, "Transition table": rows Idle, Running, Paused, Stopping, Stopped; columns Start, Cancel, Pause, Resume, Stop.
    public static TheoryData<RunStateStatus, string, RunStateStatus> Table => new()
    {
        { RunStateStatus.Idle, RunStateEvents.Start, RunStateStatus.Running },
        { RunStateStatus.Idle, RunStateEvents.Cancel, RunStateStatus.Idle },
        { RunStateStatus.Idle, RunStateEvents.Pause, Error },
        { RunStateStatus.Idle, RunStateEvents.Resume, Error },
        { RunStateStatus.Idle, RunStateEvents.Stop, Error },
        { RunStateStatus.Running, RunStateEvents.Start, Error },
        { RunStateStatus.Running, RunStateEvents.Cancel, RunStateStatus.Stopping },
        { RunStateStatus.Running, RunStateEvents.Pause, RunStateStatus.Paused },
        { RunStateStatus.Running, RunStateEvents.Resume, Error },
        { RunStateStatus.Running, RunStateEvents.Stop, RunStateStatus.Stopped },
        { RunStateStatus.Paused, RunStateEvents.Start, Error },
        { RunStateStatus.Paused, RunStateEvents.Cancel, RunStateStatus.Stopping },
        { RunStateStatus.Paused, RunStateEvents.Pause, RunStateStatus.Paused },
        { RunStateStatus.Paused, RunStateEvents.Resume, RunStateStatus.Running },
        { RunStateStatus.Paused, RunStateEvents.Stop, RunStateStatus.Stopped },
        { RunStateStatus.Stopping, RunStateEvents.Start, Error },
        { RunStateStatus.Stopping, RunStateEvents.Cancel, RunStateStatus.Stopping },
        { RunStateStatus.Stopping, RunStateEvents.Pause, Error },
        { RunStateStatus.Stopping, RunStateEvents.Resume, Error },
        { RunStateStatus.Stopping, RunStateEvents.Stop, RunStateStatus.Stopped },
        { RunStateStatus.Stopped, RunStateEvents.Start, RunStateStatus.Running },
        { RunStateStatus.Stopped, RunStateEvents.Cancel, RunStateStatus.Stopped },
        { RunStateStatus.Stopped, RunStateEvents.Pause, Error },
        { RunStateStatus.Stopped, RunStateEvents.Resume, Error },
        { RunStateStatus.Stopped, RunStateEvents.Stop, Error },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Event_in_state_gives_the_table_result_or_throws_without_side_effects(
        RunStateStatus state, string evt, RunStateStatus expected)
    {
        var clock = new TestClock();
        var runState = InState(state, clock);
        clock.Advance(TimeSpan.FromSeconds(5));

        var before = Snapshot.Of(runState);
        var transitions = new List<RunStateTransition>();
        var raised = new List<string>();
        runState.StateChanged += transitions.Add;
        runState.Started += _ => raised.Add("Started");
        runState.Cancelled += _ => raised.Add("Cancelled");
        runState.Stopped += _ => raised.Add("Stopped");

        if (expected == Error)
        {
            var error = Assert.Throws<InvalidRunStateTransitionException>(() => Fire(runState, evt));
            Assert.Equal(state, error.State);
            Assert.Equal(evt, error.Event);
            Assert.Equal("table", error.RunStateName);
            Assert.Contains("'table'", error.Message, StringComparison.Ordinal);
            Assert.Contains($"cannot {evt} while {state}", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, Snapshot.Of(runState)); // no side effect at all
            Assert.Empty(transitions);
            Assert.Empty(raised);
            return;
        }

        Fire(runState, evt);
        Assert.Equal(expected, runState.Status);
        if (expected != state)
        {
            var change = Assert.Single(transitions);
            Assert.Equal(new RunStateTransition("table", state, expected, evt, clock.GetUtcNow()), change);
        }
        else
        {
            Assert.Empty(transitions);
        }

        switch (evt)
        {
            case RunStateEvents.Start:
                Assert.False(runState.IsCancelled);
                Assert.Equal(["Started"], raised);
                Assert.Equal(clock.GetUtcNow(), runState.StartTime);
                Assert.Null(runState.StopTime);
                break;
            case RunStateEvents.Cancel:
                Assert.True(runState.IsCancelled);
                Assert.True(runState.Token.IsCancellationRequested);
                Assert.Equal(before.IsCancelled ? [] : ["Cancelled"], raised); // raised once per cancellation
                break;
            case RunStateEvents.Stop:
                Assert.Equal(["Stopped"], raised);
                Assert.Equal(clock.GetUtcNow(), runState.StopTime);
                Assert.Equal(before.IsCancelled, runState.IsCancelled); // stopping does not cancel
                break;
            default:
                Assert.Empty(raised);
                Assert.Equal(before.IsCancelled, runState.IsCancelled);
                break;
        }
    }

    [Fact]
    public void Start_with_runningOk_on_a_running_RunState_is_a_no_op()
    {
        var runState = new RunState("ok");
        runState.Start();
        var token = runState.Token;
        var started = 0;
        runState.Started += _ => started++;

        runState.Start(runningOk: true);
        runState.Pause();
        runState.Start(runningOk: true);

        Assert.Equal(RunStateStatus.Paused, runState.Status);
        Assert.Equal(token, runState.Token);
        Assert.Equal(0, started);
    }

    [Fact]
    public void The_status_predicates_follow_the_status()
    {
        var runState = new RunState();
        Assert.Equal((false, false, false, true), Predicates(runState));
        runState.Start();
        Assert.Equal((true, false, false, false), Predicates(runState));
        runState.Pause();
        Assert.Equal((true, true, false, false), Predicates(runState));
        runState.Cancel();
        Assert.Equal((true, false, true, false), Predicates(runState));
        runState.Stop();
        Assert.Equal((false, false, false, true), Predicates(runState));

        static (bool Running, bool Paused, bool Stopping, bool Stopped) Predicates(RunState r) =>
            (r.IsRunning, r.IsPaused, r.IsStopping, r.IsStopped);
    }

    [Fact]
    public void Every_start_issues_a_fresh_token()
    {
        var runState = new RunState();
        runState.Start();
        var first = runState.Token;
        runState.Cancel();
        runState.Stop();
        runState.Start();

        Assert.True(first.IsCancellationRequested);
        Assert.NotEqual(first, runState.Token);
        Assert.False(runState.Token.IsCancellationRequested);
        runState.Stop();
        runState.Start();
        runState.Cancel();
        Assert.False(first == runState.Token);
    }

    [Fact]
    public void Run_times_come_from_the_time_provider()
    {
        var clock = new TestClock();
        var runState = new RunState("timed", clock);
        Assert.Equal(TimeSpan.Zero, runState.RunTime);
        Assert.Null(runState.StartTime);

        var start = clock.GetUtcNow();
        runState.Start();
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), runState.RunTime);

        runState.Stop();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(start, runState.StartTime);
        Assert.Equal(start + TimeSpan.FromSeconds(3), runState.StopTime);
        Assert.Equal(TimeSpan.FromSeconds(3), runState.RunTime);
    }

    internal static RunState InState(RunStateStatus state, TimeProvider? clock = null)
    {
        var runState = new RunState("table", clock);
        switch (state)
        {
            case RunStateStatus.Running:
                runState.Start();
                break;
            case RunStateStatus.Paused:
                runState.Start();
                runState.Pause();
                break;
            case RunStateStatus.Stopping:
                runState.Start();
                runState.Cancel();
                break;
            case RunStateStatus.Stopped:
                runState.Start();
                runState.Stop();
                break;
        }

        Assert.Equal(state, runState.Status);
        return runState;
    }

    private static void Fire(RunState runState, string evt)
    {
        switch (evt)
        {
            case RunStateEvents.Start: runState.Start(); break;
            case RunStateEvents.Cancel: runState.Cancel(); break;
            case RunStateEvents.Pause: runState.Pause(); break;
            case RunStateEvents.Resume: runState.Resume(); break;
            case RunStateEvents.Stop: runState.Stop(); break;
            default: throw new ArgumentOutOfRangeException(nameof(evt), evt, null);
        }
    }

    private sealed record Snapshot(
        RunStateStatus Status, bool IsCancelled, bool TokenCancelled,
        DateTimeOffset? StartTime, DateTimeOffset? StopTime, long Checkpoints, CancellationToken Token)
    {
        public static Snapshot Of(RunState r) =>
            new(r.Status, r.IsCancelled, r.Token.IsCancellationRequested, r.StartTime, r.StopTime, r.Checkpoints, r.Token);
    }
}
