using Steward.Coordination;

namespace Steward.Tests.Coordination;

public class AwaitablePredicateTests
{
    [Fact]
    public void It_converts_to_the_predicates_current_value()
    {
        var open = false;
        var predicate = new AwaitablePredicate(() => open);
        Assert.False(predicate);
        open = true;
        Assert.True(predicate);
        Assert.True(predicate.ToBoolean());
    }

    [Fact]
    public async Task Awaiting_a_false_predicate_with_a_timeout_throws_TimeoutException_and_it_can_be_awaited_again()
    {
        var ready = false;
        var predicate = new AwaitablePredicate(() => ready, timeout: TimeSpan.FromMilliseconds(100));

        var error = await Assert.ThrowsAsync<TimeoutException>(async () => await predicate);
        Assert.Contains("00:00:00.1", error.Message, StringComparison.Ordinal);
        Assert.False(predicate.Condition.IsLocked); // the timed-out wait let go of the lock

        var second = Task.Run(async () => await predicate);
        using (await predicate.Condition.LockAsync())
        {
            ready = true;
            predicate.Condition.NotifyAll();
        }

        await second.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Await_completes_when_a_notified_change_makes_it_true()
    {
        var count = 0;
        var condition = new AsyncCondition();
        var atLeastThree = new AwaitablePredicate(() => count >= 3, condition);
        var waiting = Task.Run(async () => await atLeastThree);

        for (var i = 0; i < 3; i++)
        {
            using (await condition.LockAsync())
            {
                count++;
                condition.NotifyAll();
            }
        }

        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(atLeastThree);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new AwaitablePredicate(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AwaitablePredicate(() => true, timeout: TimeSpan.FromSeconds(-2)));
    }
}
