using Steward.Coordination;
using Steward.Tests.Support;

namespace Steward.Tests.Coordination;

[Collection(SerialTestGroup.Name)]
public class AsyncMutexTests
{
    [Fact]
    public async Task Waiters_get_the_lock_oldest_first_and_a_newcomer_cannot_barge_in()
    {
        var mutex = new AsyncMutex();
        await mutex.AcquireAsync(CancellationToken.None);
        var order = new List<int>();
        var waiters = Enumerable.Range(0, 5).Select(i => WaitThenRecord(i)).ToList();

        async Task WaitThenRecord(int i)
        {
            await mutex.AcquireAsync(CancellationToken.None);
            order.Add(i); // under the lock
            mutex.Release();
        }

        mutex.Release(); // hands over to waiter 0; the state never becomes free while waiters are queued
        var late = mutex.AcquireAsync(CancellationToken.None); // a newcomer queues behind them
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMinutes(1));
        await late.AsTask().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.True(mutex.IsHeld);
        mutex.Release();
        Assert.False(mutex.IsHeld);
    }

    [Fact]
    public async Task Releasing_a_free_lock_is_refused_clearly_whether_or_not_it_was_ever_contended()
    {
        var mutex = new AsyncMutex();
        Assert.Contains("nobody holds it", Assert.Throws<InvalidOperationException>(mutex.Release).Message);

        await mutex.AcquireAsync(CancellationToken.None);
        var waiter = mutex.AcquireAsync(CancellationToken.None); // contended: releases go through the gate
        mutex.Release();
        await waiter.AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        mutex.Release();
        Assert.Contains("nobody holds it", Assert.Throws<InvalidOperationException>(mutex.Release).Message);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_the_next_one_still_gets_the_lock()
    {
        var mutex = new AsyncMutex();
        await mutex.AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = mutex.AcquireAsync(cts.Token).AsTask();
        var next = mutex.AcquireAsync(CancellationToken.None).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        mutex.Release();
        await next.WaitAsync(TimeSpan.FromMinutes(1)); // handed over to the remaining waiter
        mutex.Release();
        Assert.False(mutex.IsHeld);
        await mutex.AcquireAsync(CancellationToken.None); // free again: taken at once
        mutex.Release();
    }

    [Fact]
    public async Task Flows_hammering_it_with_cancellations_never_overlap_and_leave_it_free()
    {
        const int Flows = 8, Rounds = 20_000;
        var mutex = new AsyncMutex();
        var inside = 0;
        var overlaps = 0;
        var entered = 0;
        var flows = Enumerable.Range(0, Flows).Select(f => Task.Run(async () =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                // Every fourth attempt may be cancelled while it waits; a cancelled attempt must not hold the lock.
                using var cts = i % 4 == 0 ? new CancellationTokenSource() : null;
                var acquire = mutex.AcquireAsync(cts?.Token ?? CancellationToken.None);
                cts?.Cancel();
                try
                {
                    await acquire;
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                Interlocked.Increment(ref entered);
                if (i % 16 == 0)
                {
                    await Task.Yield(); // sometimes hold it across a thread hop, so others queue
                }

                Interlocked.Decrement(ref inside);
                mutex.Release();
            }
        })).ToList();

        await Task.WhenAll(flows).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(0, overlaps);
        Assert.InRange(entered, Flows * Rounds * 3 / 4, Flows * Rounds);
        Assert.False(mutex.IsHeld);
    }
}
