using Microsoft.Extensions.Logging;
using Steward.Deferred;
using Steward.Tests.Support;

namespace Steward.Tests.Deferred;

public class DeferredCallCapacityTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Throw_mode_rejects_a_oneway_with_false_and_a_sync_call_with_a_clear_exception_when_full()
    {
        var logger = new ListLogger();
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(
            recorder, new DeferredCallOptions { Name = "bounded", Capacity = 2, FullMode = DeferredCallFullMode.Throw }, logger);

        Assert.True(calls.Oneway(r => r.Record("1")));
        Assert.True(calls.Oneway(r => r.Record("2")));
        Assert.False(calls.Oneway(r => r.Record("3")));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => calls.SyncAsync(r => r.Add(1)));

        Assert.Contains("'bounded'", error.Message);
        Assert.Contains("capacity 2", error.Message);
        Assert.Contains("'Add'", error.Message);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'Record'") && e.Message.Contains("capacity 2"));
        Assert.Equal(2, calls.ProcessPending());
        Assert.True(calls.Oneway(r => r.Record("4"))); // room again
        Assert.Equal(1, calls.ProcessPending());
        Assert.Equal(["1", "2", "4"], recorder.Ran);
    }

    [Fact]
    public async Task Wait_mode_blocks_a_oneway_producer_until_there_is_room()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Capacity = 1 });
        Assert.True(calls.Oneway(r => r.Record("first")));

        var second = Task.Run(() => calls.Oneway(r => r.Record("second")));
        await Task.Delay(100); // gives a wrong (non-blocking) Oneway the chance to show
        Assert.False(second.IsCompleted);

        Assert.Equal(1, calls.ProcessPending());
        Assert.True(await second.WaitAsync(s_generous));
        Assert.Equal(1, calls.ProcessPending());
        Assert.Equal(["first", "second"], recorder.Ran);
    }

    [Fact]
    public async Task Wait_mode_makes_SyncAsync_wait_asynchronously_for_room_within_its_timeout()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Capacity = 1, Name = "tight" });
        calls.Oneway(r => r.Record("first"));

        var waiting = calls.SyncAsync(r => r.Add(1));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(
            () => calls.SyncAsync(r => r.Add(100), timeout: TimeSpan.FromMilliseconds(50)));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, calls.PendingCount);

        var loop = calls.ProcessAsync();
        Assert.Equal(1, await waiting.WaitAsync(s_generous));
        Assert.Contains("waiting for room", timeout.Message);
        Assert.Equal(1, recorder.Value);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Wait_mode_applies_back_pressure_and_loses_nothing_under_many_producers()
    {
        const int Producers = 4, PerProducer = 2_000, Capacity = 8;
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Capacity = Capacity });
        var maxPending = 0;
        var loop = calls.ProcessAsync();

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                if (i % 10 == 0)
                {
                    await calls.SyncAsync(r => r.Add(1));
                }
                else
                {
                    Assert.True(calls.Oneway(r => r.Add(1)));
                }

                var pending = calls.PendingCount;
                InterlockedMax(ref maxPending, pending);
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromMinutes(2));
        await calls.SyncAsync(r => r.Record("drained")).WaitAsync(s_generous);

        Assert.Equal(Producers * PerProducer, recorder.Value);
        Assert.InRange(maxPending, 0, Capacity);
        Assert.Equal(0, recorder.Overlaps);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_oneway_from_inside_a_call_is_admitted_over_capacity_instead_of_deadlocking()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Capacity = 1 });
        calls.Oneway(r =>
        {
            calls.Oneway(r2 => r2.Record("refill")); // takes the slot the running call gave back
            calls.Oneway(r2 => r2.Record("over capacity"));
        });

        var ran = await Task.Run(() => calls.ProcessPending()).WaitAsync(s_generous);

        Assert.Equal(1, ran);
        Assert.Equal(2, calls.PendingCount);
        Assert.Equal(2, calls.ProcessPending());
        Assert.Equal(["refill", "over capacity"], recorder.Ran);
        Assert.True(calls.Oneway(r => r.Record("capacity restored")));
    }

    [Fact]
    public async Task Closing_releases_producers_waiting_for_room()
    {
        var logger = new ListLogger();
        var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Capacity = 1, Name = "full" }, logger);
        calls.Oneway(r => r.Record("first"));
        bool? queued = null;
        var producer = new Thread(() => queued = calls.Oneway(r => r.Record("second")));
        producer.Start();
        Assert.True(SpinWait.SpinUntil(() => (producer.ThreadState & ThreadState.WaitSleepJoin) != 0, s_generous));
        var blockedSync = calls.SyncAsync(r => r.Add(1));

        await calls.DisposeAsync().AsTask().WaitAsync(s_generous);

        Assert.True(producer.Join(s_generous));
        Assert.False(queued);
        var error = await Assert.ThrowsAsync<ClosedException>(() => blockedSync.WaitAsync(s_generous));
        Assert.Contains("'full'", error.Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
