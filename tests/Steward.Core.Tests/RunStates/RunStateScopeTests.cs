namespace Steward.Tests.RunStates;

public class RunStateScopeTests
{
    [Fact]
    public async Task RunAsync_with_a_normal_body_ends_Stopped_and_not_cancelled()
    {
        var runState = new RunState("job");
        RunStateStatus? during = null;
        RunState? ambient = null;

        await runState.RunAsync(async r =>
        {
            await Task.Yield();
            during = r.Status;
            ambient = RunState.Current;
        });

        Assert.Equal(RunStateStatus.Running, during);
        Assert.Same(runState, ambient);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
        Assert.False(runState.IsCancelled);
        Assert.Null(RunState.Current);
    }

    [Fact]
    public async Task RunAsync_with_a_throwing_body_cancels_then_stops_and_rethrows()
    {
        var runState = new RunState("job");
        var events = new List<string>();
        runState.StateChanged += t => events.Add($"{t.Event}:{t.To}");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runState.RunAsync(async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        }));

        Assert.Equal("boom", error.Message);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
        Assert.True(runState.IsCancelled);
        Assert.Equal(["Start:Running", "Cancel:Stopping", "Stop:Stopped"], events);
        Assert.Null(RunState.Current);
    }

    [Fact]
    public async Task RunAsync_tolerates_a_body_that_stops_its_own_RunState()
    {
        var runState = new RunState();
        await runState.RunAsync(r =>
        {
            r.Stop();
            return Task.CompletedTask;
        });
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
    }

    [Fact]
    public async Task RunAsync_refuses_a_running_RunState_and_a_null_body()
    {
        var runState = new RunState("busy");
        runState.Start();
        await Assert.ThrowsAsync<InvalidRunStateTransitionException>(() => runState.RunAsync(_ => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>(() => runState.RunAsync(null!));
        Assert.Equal(RunStateStatus.Running, runState.Status);
    }

    [Fact]
    public async Task Current_is_set_inside_Enter_and_restored_on_dispose()
    {
        Assert.Null(RunState.Current);
        var outer = new RunState("outer");
        var inner = new RunState("inner");

        using (outer.Enter())
        {
            Assert.Same(outer, RunState.Current);
            Assert.Equal(RunStateStatus.Running, outer.Status);
            await Task.Yield();
            Assert.Same(outer, RunState.Current); // flows across awaits

            using (inner.Enter())
            {
                Assert.Same(inner, RunState.Current);
            }

            Assert.Same(outer, RunState.Current);
            Assert.Equal(RunStateStatus.Stopped, inner.Status);
        }

        Assert.Null(RunState.Current);
        Assert.Equal(RunStateStatus.Stopped, outer.Status);
    }

    [Fact]
    public void Enter_on_a_running_RunState_does_not_stop_it_on_dispose()
    {
        var runState = new RunState();
        runState.Start();
        var scope = runState.Enter();
        scope.Dispose();
        scope.Dispose(); // idempotent
        Assert.Equal(RunStateStatus.Running, runState.Status);
        Assert.Null(RunState.Current);
    }

    [Fact]
    public void CurrentOrNew_returns_the_ambient_RunState_or_a_new_idle_one_named_after_the_caller()
    {
        var fresh = RunState.CurrentOrNew();
        Assert.Equal(nameof(CurrentOrNew_returns_the_ambient_RunState_or_a_new_idle_one_named_after_the_caller), fresh.Name);
        Assert.Equal(RunStateStatus.Idle, fresh.Status);

        var ambient = new RunState("ambient");
        using (ambient.Enter())
        {
            Assert.Same(ambient, RunState.CurrentOrNew());
            Assert.Same(ambient, Helper());
        }

        Assert.Equal(nameof(Helper), Helper().Name);
    }

    [Fact]
    public void IHasRunState_forwards_to_its_RunState()
    {
        IHasRunState worker = new Worker();
        worker.RunState.Start();
        Assert.True(worker.IsRunning);
        Assert.False(worker.IsCancelled);

        worker.Cancel();

        Assert.True(worker.IsCancelled);
        Assert.True(worker.IsStopping);
        Assert.False(worker.IsStopped);
        worker.RunState.Stop();
        Assert.True(worker.IsStopped);
    }

    [Fact]
    public void Names_and_ToString_identify_the_RunState()
    {
        var a = new RunState();
        var b = new RunState();
        Assert.StartsWith("RunState-", a.Name, StringComparison.Ordinal);
        Assert.NotEqual(a.Name, b.Name);
        var named = new RunState("poller");
        named.Start();
        named.Cancel();
        Assert.Equal("RunState 'poller' (Stopping, cancelled)", named.ToString());
        Assert.Throws<ArgumentException>(() => named.CreateChild(" "));
    }

    private static RunState Helper() => RunState.CurrentOrNew();

    private sealed class Worker : IHasRunState
    {
        public RunState RunState { get; } = new("worker");
    }
}
