namespace Steward.Tests.RunStates;

public class RunStateCancellationTests
{
    [Theory]
    [InlineData(RunStateStatus.Idle)]
    [InlineData(RunStateStatus.Stopped)]
    public void Cancel_when_not_running_sets_the_flag_and_raises_Cancelled_and_Start_clears_it(RunStateStatus state)
    {
        var runState = RunStateTransitionTests.InState(state);
        var cancelled = new List<RunState>();
        runState.Cancelled += cancelled.Add;

        runState.Cancel();

        Assert.Equal(state, runState.Status);
        Assert.True(runState.IsCancelled);
        Assert.True(runState.Token.IsCancellationRequested);
        Assert.Same(runState, Assert.Single(cancelled));

        runState.Start();
        Assert.False(runState.IsCancelled);
        Assert.False(runState.Token.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_is_idempotent_and_raises_once_per_cancellation()
    {
        var runState = new RunState();
        runState.Start();
        var cancelled = 0;
        runState.Cancelled += _ => cancelled++;

        runState.Cancel();
        runState.Cancel();
        runState.Stop();
        runState.Cancel();

        Assert.Equal(1, cancelled);
        runState.Start();
        runState.Cancel();
        Assert.Equal(2, cancelled);
    }

    [Fact]
    public void A_pollCancel_that_returned_true_once_keeps_IsCancelled_until_the_next_Start()
    {
        var answers = new Queue<bool>([false, true]);
        var polls = 0;
        var runState = new RunState("polled", pollCancel: () =>
        {
            polls++;
            return answers.Count > 0 && answers.Dequeue();
        });
        runState.Start();

        Assert.False(runState.IsCancelled);
        Assert.True(runState.IsCancelled);  // the poll said yes once...
        Assert.True(runState.IsCancelled);  // ...and it sticks although the poll now says no
        Assert.Equal(2, polls);             // sticky: no more polling once cancelled
        Assert.Equal(RunStateStatus.Stopping, runState.Status);
        Assert.True(runState.Token.IsCancellationRequested);
        Assert.Throws<OperationCanceledException>(() => runState.ThrowIfCancelled());

        runState.Stop();
        Assert.True(runState.IsCancelled);
        runState.Start();
        Assert.False(runState.IsCancelled);
        Assert.Equal(3, polls);
    }

    [Fact]
    public void Checkpoints_consult_pollCancel()
    {
        var stop = false;
        var runState = new RunState("polled", pollCancel: () => stop);
        runState.Start();
        runState.ThrowIfCancelled();
        stop = true;
        var error = Assert.Throws<OperationCanceledException>(() => runState.ThrowIfCancelled("enough"));
        Assert.Equal("enough", error.Message);
        Assert.Equal(runState.Token, error.CancellationToken);
    }

    [Fact]
    public void Cancelling_a_parent_cancels_its_running_children_but_not_the_other_way_round()
    {
        var parent = new RunState("parent");
        parent.Start();
        var child = parent.CreateChild("child");
        var grandchild = child.CreateChild("grandchild");
        child.Start();
        grandchild.Start();

        grandchild.Cancel();
        Assert.False(child.IsCancelled);
        Assert.False(parent.IsCancelled);

        grandchild.Stop();
        grandchild.Start();
        parent.Cancel();

        Assert.True(child.IsCancelled);
        Assert.Equal(RunStateStatus.Stopping, child.Status);
        Assert.True(grandchild.IsCancelled);
        Assert.True(grandchild.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_child_started_under_a_cancelled_parent_is_cancelled_right_after_Started()
    {
        var parent = new RunState("parent");
        parent.Start();
        parent.Cancel();
        var child = parent.CreateChild("child");
        var order = new List<string>();
        child.Started += _ => order.Add("Started");
        child.Cancelled += _ => order.Add("Cancelled");

        child.Start();

        Assert.Equal(["Started", "Cancelled"], order);
        Assert.True(child.IsCancelled);
    }

    [Fact]
    public void A_stopped_child_no_longer_listens_to_its_parent_and_a_new_parent_run_frees_new_children()
    {
        var parent = new RunState("parent");
        parent.Start();
        var child = parent.CreateChild("child");
        child.Start();
        child.Stop();
        var cancelled = 0;
        child.Cancelled += _ => cancelled++;

        parent.Cancel();
        Assert.Equal(0, cancelled);

        parent.Stop();
        parent.Start(); // fresh, uncancelled run
        child.Start();
        Assert.False(child.IsCancelled);
        parent.Cancel();
        Assert.Equal(1, cancelled);
    }

    [Fact]
    public void A_child_still_running_when_its_parent_restarts_is_cancelled_by_the_parents_next_cancel()
    {
        var parent = new RunState("parent");
        parent.Start();
        var child = parent.CreateChild("child");
        child.Start();
        parent.Stop();
        parent.Start();

        parent.Cancel();

        Assert.True(child.IsCancelled);
    }

    [Fact]
    public void Children_see_the_parents_pollCancel()
    {
        var stop = false;
        var parent = new RunState("parent", pollCancel: () => stop);
        parent.Start();
        var child = parent.CreateChild("child");
        child.Start();

        stop = true;

        Assert.Throws<OperationCanceledException>(() => child.ThrowIfCancelled());
        Assert.True(parent.IsCancelled);
    }

    [Fact]
    public void A_throwing_handler_does_not_break_the_transition_or_the_other_handlers()
    {
        var runState = new RunState("faulty");
        runState.Start();
        var others = new List<string>();
        runState.Cancelled += _ => throw new InvalidOperationException("handler one");
        runState.Cancelled += _ => others.Add("second");
        runState.StateChanged += t => others.Add($"{t.From}->{t.To}");
        var callbackRan = false;
        runState.Token.Register(() => callbackRan = true);

        var error = Assert.Throws<InvalidOperationException>(runState.Cancel);

        Assert.Equal("handler one", error.Message);
        Assert.Equal(RunStateStatus.Stopping, runState.Status);
        Assert.True(runState.IsCancelled);
        Assert.True(callbackRan);
        Assert.Equal(["Running->Stopping", "second"], others);

        runState.Stopped += _ => throw new InvalidOperationException("a");
        runState.Stopped += _ => throw new ArgumentException("b");
        var both = Assert.Throws<AggregateException>(runState.Stop);
        Assert.Equal(2, both.InnerExceptions.Count);
        Assert.Equal(RunStateStatus.Stopped, runState.Status);
    }

    [Fact]
    public void Token_callbacks_that_throw_are_rethrown_after_the_events()
    {
        var runState = new RunState();
        runState.Start();
        var cancelledRaised = false;
        runState.Cancelled += _ => cancelledRaised = true;
        runState.Token.Register(() => throw new InvalidOperationException("callback"));

        var error = Assert.Throws<InvalidOperationException>(runState.Cancel);

        Assert.Equal("callback", error.Message);
        Assert.True(cancelledRaised);
    }
}
