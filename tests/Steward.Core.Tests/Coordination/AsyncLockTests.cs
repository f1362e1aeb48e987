using Steward.Coordination;
using Steward.Tests.Support;

namespace Steward.Tests.Coordination;

[Collection(SerialTestGroup.Name)]
public class AsyncLockTests
{
    [Fact]
    public async Task Waiters_get_the_lock_oldest_first_and_a_newcomer_cannot_barge_in()
    {
        var mutex = new AsyncLock();
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
        var mutex = new AsyncLock();
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
        var mutex = new AsyncLock();
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
        var mutex = new AsyncLock();
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

    [Fact]
    public async Task LockAsync_on_a_free_lock_completes_at_once_and_allocates_nothing()
    {
        var gate = new AsyncLock();
        using (await gate.LockAsync()) // warm up: JIT, statics
        {
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            var pending = gate.LockAsync();
            Assert.True(pending.IsCompletedSuccessfully);
            using (await pending)
            {
                Assert.True(gate.IsHeld);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task Waiters_through_LockAsync_are_served_in_arrival_order()
    {
        var gate = new AsyncLock();
        var first = await gate.LockAsync();
        var order = new List<int>();
        var waiters = Enumerable.Range(0, 5).Select(async i =>
        {
            using (await gate.LockAsync())
            {
                order.Add(i);
            }
        }).ToList();

        first.Dispose();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task Disposing_a_releaser_again_does_nothing_even_when_someone_else_holds_the_lock()
    {
        var gate = new AsyncLock();
        var mine = await gate.LockAsync();
        var copy = mine;
        var theirs = gate.LockAsync().AsTask();
        mine.Dispose();
        var next = await theirs.WaitAsync(TimeSpan.FromMinutes(1));

        mine.Dispose();
        copy.Dispose();
        default(AsyncLock.Releaser).Dispose();
        Assert.True(gate.IsHeld); // still theirs

        next.Dispose();
        Assert.False(gate.IsHeld);
        mine.Dispose(); // and on a free lock
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task A_cancelled_token_takes_a_free_lock_but_gives_up_a_wait_for_a_held_one()
    {
        var gate = new AsyncLock();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var free = gate.LockAsync(cancelled.Token);
        Assert.True(free.IsCompletedSuccessfully);
        var held = gate.LockAsync(cancelled.Token);
        Assert.True(held.IsCanceled);
        (await free).Dispose();
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task A_waiter_handed_the_lock_leaves_nothing_registered_on_a_long_lived_token()
    {
        // A host-lifetime token is given to every acquisition: each granted wait must unregister from it, or the token
        // would keep every waiter (and what its continuation holds) alive for the life of the host.
        var gate = new AsyncLock();
        using var lifetime = new CancellationTokenSource();
        var waiters = await GrantManyAsync(gate, lifetime.Token);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(waiters, w => Assert.False(w.TryGetTarget(out _), "a granted waiter is still referenced"));
    }

    private static async Task<List<WeakReference<Task>>> GrantManyAsync(AsyncLock gate, CancellationToken token)
    {
        var references = new List<WeakReference<Task>>();
        var holder = await gate.LockAsync(CancellationToken.None);
        var pending = new List<Task<AsyncLock.Releaser>>();
        for (var i = 0; i < 100; i++)
        {
            var wait = gate.LockAsync(token);
            Assert.False(wait.IsCompleted);
            var task = wait.AsTask();
            references.Add(new WeakReference<Task>(task));
            pending.Add(task);
        }

        holder.Dispose();
        foreach (var wait in pending)
        {
            (await wait.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Dispose();
        }

        return references;
    }
}
