using Steward.Coordination;

namespace Steward.Tests.Coordination;

public class AsyncConditionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_cancelled_WaitAsync_takes_the_lock_again_before_throwing()
    {
        var condition = new AsyncCondition();
        using var cts = new CancellationTokenSource();
        var lockedWhenThrown = false;

        var waiter = Task.Run(async () =>
        {
            using (await condition.LockAsync())
            {
                try
                {
                    await condition.WaitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    lockedWhenThrown = condition.IsLocked;
                    throw;
                }
            }
        });

        // While it waits, the lock is free for others.
        await WaitUntilAsync(() => condition.WaiterCount == 1);
        var holder = await condition.LockAsync();
        cts.Cancel();
        await Task.Delay(50); // the waiter must not get past while someone else holds the lock
        Assert.False(waiter.IsCompleted);
        holder.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(s_timeout));
        Assert.True(lockedWhenThrown);
        Assert.False(condition.IsLocked); // released by the using block afterwards
        Assert.Equal(0, condition.WaiterCount);
    }

    [Fact]
    public async Task Notify_wakes_waiters_oldest_first_and_NotifyAll_wakes_the_rest()
    {
        var condition = new AsyncCondition();
        var woken = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 4; i++)
        {
            var id = i;
            waiters.Add(Task.Run(async () =>
            {
                using (await condition.LockAsync())
                {
                    await condition.WaitAsync();
                    woken.Add(id); // under the lock
                }
            }));
            await WaitUntilAsync(() => condition.WaiterCount == id + 1); // queue them in a known order
        }

        using (await condition.LockAsync())
        {
            condition.Notify();
        }

        await waiters[0].WaitAsync(s_timeout);
        Assert.Equal([0], woken);

        using (await condition.LockAsync())
        {
            condition.Notify(2);
        }

        await Task.WhenAll(waiters[1], waiters[2]).WaitAsync(s_timeout);
        using (await condition.LockAsync())
        {
            condition.NotifyAll();
        }

        await Task.WhenAll(waiters).WaitAsync(s_timeout);
        Assert.Equal(0, woken[0]);
        Assert.Equal([1, 2], woken[1..3].Order()); // woken together: they may take the lock in either order
        Assert.Equal(3, woken[3]);
    }

    [Fact]
    public async Task Waiting_or_notifying_without_the_lock_is_refused_clearly()
    {
        var condition = new AsyncCondition();
        var error = Assert.Throws<InvalidOperationException>(() => condition.Notify());
        Assert.Contains("AsyncCondition.Notify must be called while holding the lock", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(condition.NotifyAll);
        await Assert.ThrowsAsync<InvalidOperationException>(() => condition.WaitAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => condition.WaitForAsync(() => true));
        using (await condition.LockAsync())
        {
            await Assert.ThrowsAsync<ArgumentNullException>(() => condition.WaitForAsync(null!));
            Assert.Throws<ArgumentOutOfRangeException>(() => condition.Notify(-1));
        }
    }

    [Fact]
    public async Task The_releaser_releases_once()
    {
        var condition = new AsyncCondition();
        var releaser = await condition.LockAsync();
        var second = condition.LockAsync().AsTask();
        releaser.Dispose();
        var secondReleaser = await second.WaitAsync(s_timeout);
        releaser.Dispose(); // must not release the second holder's lock
        Assert.True(condition.IsLocked);
        secondReleaser.Dispose();
        Assert.False(condition.IsLocked);
    }

    [Fact]
    public async Task A_cancelled_lock_wait_leaves_the_queue()
    {
        var condition = new AsyncCondition();
        var holder = await condition.LockAsync();
        using var cts = new CancellationTokenSource();
        var cancelled = condition.LockAsync(cts.Token).AsTask();
        var next = condition.LockAsync().AsTask();

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(s_timeout));
        holder.Dispose();

        (await next.WaitAsync(s_timeout)).Dispose(); // the lock went to the next waiter, not to the cancelled one
        Assert.False(condition.IsLocked);
    }

    [Fact]
    public async Task A_wait_with_a_cancelled_token_is_cancelled_at_once_holding_the_lock()
    {
        var condition = new AsyncCondition();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        using (await condition.LockAsync())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => condition.WaitAsync(cts.Token));
            Assert.True(condition.IsLocked);
            Assert.Equal(0, condition.WaiterCount);
        }

        Assert.False(condition.IsLocked);
    }

    [Fact]
    public async Task Conditions_sharing_a_lock_wake_only_their_own_waiters()
    {
        var shared = new AsyncLock();
        var notEmpty = new AsyncCondition(shared);
        var notFull = new AsyncCondition(shared);
        Assert.Same(shared, notEmpty.Lock);
        var woken = new List<string>();
        async Task WaitOn(AsyncCondition condition, string name)
        {
            using (await condition.LockAsync())
            {
                await condition.WaitAsync();
                woken.Add(name); // under the shared lock
            }
        }

        var consumer = WaitOn(notEmpty, "consumer");
        var producer = WaitOn(notFull, "producer");
        await WaitUntilAsync(() => notEmpty.WaiterCount == 1 && notFull.WaiterCount == 1);

        using (await shared.LockAsync())
        {
            Assert.True(notEmpty.IsLocked && notFull.IsLocked);
            notEmpty.NotifyAll();
        }

        await consumer.WaitAsync(s_timeout);
        Assert.Equal(["consumer"], woken);
        Assert.Equal(1, notFull.WaiterCount);

        using (await notFull.LockAsync())
        {
            notFull.Notify();
        }

        await producer.WaitAsync(s_timeout);
        Assert.Equal(["consumer", "producer"], woken);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for a state no event announces");
            await Task.Delay(1);
        }
    }
}
