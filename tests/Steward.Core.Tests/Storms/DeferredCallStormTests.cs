using Steward.Deferred;

using Steward.Tests.Support;

namespace Steward.Tests.Storms;

/// <summary>
/// Producers racing the close of a <see cref="DeferredCalls{T}"/>: with a drain deadline far away, nothing accepted may
/// be lost. Synchronous and asynchronous calls are mixed so that a call's pending end can complete between the moment a
/// pass returns it and the moment the pass looks at it.
/// </summary>
[Trait("Category", "Storm")]
[Collection(SerialTestGroup.Name)] // saturates both cores: never beside a timing test
public class DeferredCallStormTests
{
    private const int Rounds = 30;
    private const int Producers = 3;
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_drain_with_a_distant_deadline_runs_every_accepted_call()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var target = new Counter();
            var calls = new DeferredCalls<Counter>(target, new DeferredCallOptions { DrainTimeout = TimeSpan.FromMinutes(5) });
            var processing = calls.ProcessAsync();
            var accepted = new int[Producers];
            var syncCalls = new List<Task<int>>[Producers];
            using var ready = new CountdownEvent(Producers);

            var producers = new Task[Producers];
            for (var p = 0; p < Producers; p++)
            {
                var me = p;
                syncCalls[me] = [];
                producers[me] = StartThread(() =>
                {
                    ready.Signal();
                    for (var i = 0; ; i++)
                    {
                        if (calls.PendingCount > 8_000)
                        {
                            Thread.Sleep(1); // throttles (not a synchronisation): keeps the backlog bounded until the close
                        }

                        if (i % 3 == 2)
                        {
                            Task<int> call;
                            try
                            {
                                call = i % 2 == 0
                                    ? calls.SyncAsync(c => c.Add())
                                    : calls.SyncAsync(static async (c, _) =>
                                    {
                                        await Task.Yield();
                                        return c.Add();
                                    });
                            }
                            catch (ClosedException)
                            {
                                return; // closed: rejected at the door, as it should be
                            }

                            syncCalls[me].Add(call);
                            continue;
                        }

                        var ok = i % 3 == 0
                            ? calls.Oneway(c => c.Add())
                            : calls.Oneway(static async (c, _) =>
                            {
                                await Task.Yield();
                                c.Add();
                            });
                        if (!ok)
                        {
                            return; // closed: rejected at the door, as it should be
                        }

                        accepted[me]++;
                    }
                });
            }

            ready.Wait();
            // Close once a backlog has built up behind a processor that is running: the drain has real work to do.
            SpinWait.SpinUntil(() => (calls.PendingCount >= 4_000 && target.Count >= 1_000) || producers.All(t => t.IsCompleted));
            await calls.DisposeAsync().AsTask().WaitAsync(s_bound);
            await Task.WhenAll(producers).WaitAsync(s_bound);
            await processing.WaitAsync(s_bound);

            var syncFailed = 0;
            var syncRan = 0;
            foreach (var call in syncCalls.SelectMany(list => list))
            {
                try
                {
                    await call.WaitAsync(s_bound);
                    syncRan++;
                }
                catch (ClosedException)
                {
                    syncFailed++;
                }
            }

            var onewaysAccepted = accepted.Sum();
            var onewaysRan = target.Count - syncRan;
            // Each producer may have one call rejected at the door and one accepted as the close began (swept).
            Assert.True(syncFailed <= 2 * Producers, $"round {round}: {syncFailed} sync calls failed with ClosedException");
            Assert.True(onewaysAccepted - onewaysRan <= Producers,
                $"round {round}: {onewaysAccepted} oneways accepted, {onewaysRan} ran, {calls.DroppedOnewayCount} dropped");
            Assert.Equal(onewaysAccepted - onewaysRan, calls.DroppedOnewayCount);
        }
    }

    [Fact]
    public void ProcessPending_runs_every_call_queued_before_it_began()
    {
        for (var round = 0; round < 10; round++)
        {
            var target = new Counter();
            var calls = new DeferredCalls<Counter>(target);
            for (var i = 0; i < 2_000; i++)
            {
                if (i % 2 == 0)
                {
                    calls.Oneway(c => c.Add());
                }
                else
                {
                    calls.Oneway(static async (c, _) =>
                    {
                        await Task.Yield();
                        c.Add();
                    });
                }
            }

            var ran = calls.ProcessPending();

            Assert.Equal(2_000, ran);
            Assert.Equal(2_000, target.Count);
            Assert.Equal(0, calls.PendingCount);
        }
    }

    /// <summary>A producer on a thread of its own, so that producers never starve the thread pool the processor runs on.</summary>
    private static Task StartThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true };
        thread.Start();
        return done.Task;
    }

    private sealed class Counter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public int Add() => Interlocked.Increment(ref _count);
    }
}
