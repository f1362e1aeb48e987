using Microsoft.Extensions.Logging;
using Steward.Deferred;
using Steward.Tests.Support;

namespace Steward.Tests.Deferred;

public class DeferredCallDisposeTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dispose_drains_the_pending_calls_in_order_when_nobody_is_processing()
    {
        var recorder = new Recorder();
        var calls = new DeferredCalls<Recorder>(recorder);
        calls.Oneway(r => r.Record("A"), "A");
        calls.Oneway(r => r.Record("B"), "B");
        calls.ProcessPending(["B"]); // A is set aside, still pending
        var sync = calls.SyncAsync(r => r.Add(1));
        calls.Oneway((r, ct) => r.RecordSlowlyAsync("async", ct));

        await calls.DisposeAsync().AsTask().WaitAsync(s_generous);

        Assert.Equal(1, await sync.WaitAsync(s_generous));
        Assert.Equal(["B", "A", "async"], recorder.Ran);
        Assert.Equal(0, calls.PendingCount);
        Assert.Equal(0, calls.DroppedOnewayCount);
        Assert.True(calls.IsClosed);
    }

    [Fact]
    public async Task Dispose_ends_a_running_ProcessAsync_after_its_current_call_and_drains_the_rest()
    {
        var recorder = new Recorder();
        var calls = new DeferredCalls<Recorder>(recorder);
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(r => r.Block(gate, entered));
        calls.Oneway(r => r.Record("pending"));
        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);

        var disposing = calls.DisposeAsync().AsTask();
        Assert.False(calls.Oneway(r => r.Record("too late")));
        gate.Set();
        await disposing.WaitAsync(s_generous);
        await loop.WaitAsync(s_generous); // ended normally

        Assert.Equal(["pending"], recorder.Ran);
        Assert.Equal(0, recorder.Overlaps);
    }

    [Fact]
    public async Task Dispose_wakes_an_idle_ProcessAsync()
    {
        var calls = new DeferredCalls<Recorder>(new Recorder());
        var loop = calls.ProcessAsync();
        Assert.Equal(1, await calls.SyncAsync(r => r.Add(1)).WaitAsync(s_generous));

        await calls.DisposeAsync().AsTask().WaitAsync(s_generous);

        await loop.WaitAsync(s_generous);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)] // its token is cancelled at the deadline with no timeout to name: that must not throw
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task A_call_blocking_past_the_drain_deadline_fails_the_waiting_sync_callers_and_counts_the_dropped_oneways(
        bool withToken, bool withTimeout)
    {
        var logger = new ListLogger();
        var recorder = new Recorder();
        var calls = new DeferredCalls<Recorder>(
            recorder, new DeferredCallOptions { Name = "stuck", DrainTimeout = TimeSpan.FromMilliseconds(200) }, logger);
        using var gate = new ManualResetEventSlim();
        using var callerToken = new CancellationTokenSource();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = calls.SyncAsync(
            r => r.Block(gate, entered),
            withTimeout ? TimeSpan.FromMinutes(10) : null,
            withToken ? callerToken.Token : CancellationToken.None);
        var waiting = new[] { calls.SyncAsync(r => r.Add(1)), calls.SyncAsync(r => r.Add(2)) };
        for (var i = 0; i < 3; i++)
        {
            calls.Oneway(r => r.Record("dropped"));
        }

        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);
        await calls.DisposeAsync().AsTask().WaitAsync(s_generous); // returns although the call is still blocked
        Assert.False(gate.IsSet);

        var running = await Assert.ThrowsAsync<ClosedException>(() => blocked.WaitAsync(s_generous));
        Assert.Contains("still running at the drain deadline", running.Message);
        foreach (var task in waiting)
        {
            var error = await Assert.ThrowsAsync<ClosedException>(() => task.WaitAsync(s_generous));
            Assert.Contains("'stuck'", error.Message);
            Assert.Contains("'Add'", error.Message);
        }

        Assert.Equal(3, calls.DroppedOnewayCount);
        Assert.Equal(0, calls.PendingCount);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("2 sync calls") && e.Message.Contains("3 oneway calls"));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'Block' was still running"));

        gate.Set();
        await loop.WaitAsync(s_generous); // the pass ends after the blocked call, running nothing more
        await Task.Delay(50); // gives the drain a chance to (wrongly) run the dropped calls once the blocked one returns
        Assert.Equal(0, recorder.Value);
        Assert.Empty(recorder.Ran);
    }

    [Fact]
    public async Task An_asynchronous_call_running_at_the_drain_deadline_has_its_token_cancelled()
    {
        var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { DrainTimeout = TimeSpan.FromMilliseconds(100) });
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(async (r, ct) =>
        {
            entered.SetResult();
            await using (ct.Register(() => cancelled.SetResult()))
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
        }, "Forever");
        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);

        await calls.DisposeAsync().AsTask().WaitAsync(s_generous);

        await cancelled.Task.WaitAsync(s_generous);
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Calls_after_dispose_are_rejected_with_messages_naming_the_handler_and_the_call()
    {
        var logger = new ListLogger();
        var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Name = "gone" }, logger);
        await calls.DisposeAsync();

        Assert.False(calls.Oneway(r => r.Record("x")));
        var asyncError = await Assert.ThrowsAsync<ClosedException>(() => calls.SyncAsync(r => r.Add(1)));
        var blockingError = Assert.Throws<ClosedException>(() => calls.Sync(r => r.Add(1)));

        Assert.Contains("'gone'", asyncError.Message);
        Assert.Contains("'Add'", asyncError.Message);
        Assert.Contains("'Add'", blockingError.Message);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'gone'") && e.Message.Contains("'Record'"));
        Assert.Equal(0, calls.ProcessPending());
        await calls.ProcessAsync().WaitAsync(s_generous);
    }

    [Fact]
    public async Task Dispose_is_idempotent_and_concurrent_disposals_wait_for_the_same_drain()
    {
        var recorder = new Recorder();
        var calls = new DeferredCalls<Recorder>(recorder);
        for (var i = 0; i < 10; i++)
        {
            calls.Oneway(r => r.Add(1));
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await calls.DisposeAsync()))).WaitAsync(s_generous);
        await calls.DisposeAsync();

        Assert.Equal(10, recorder.Value);
    }

    [Fact]
    public async Task Disposing_from_inside_one_of_its_own_calls_is_refused()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Name = "self" });
        var loop = calls.ProcessAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => calls.SyncAsync((r, ct) => calls.DisposeAsync()).WaitAsync(s_generous));

        Assert.Contains("'self' cannot be disposed from inside one of its own calls", error.Message);
        Assert.False(calls.IsClosed);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Producers_racing_dispose_never_leave_a_sync_caller_hanging_or_a_oneway_unaccounted()
    {
        for (var round = 0; round < 50; round++)
        {
            var recorder = new Recorder();
            var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { DrainTimeout = TimeSpan.FromSeconds(10) });
            var loop = calls.ProcessAsync();
            var accepted = 0;
            using var go = new Barrier(5);
            var producers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                go.SignalAndWait();
                var outcomes = 0;
                for (var i = 0; i < 200; i++)
                {
                    if (calls.Oneway(r => r.Add(1)))
                    {
                        Interlocked.Increment(ref accepted);
                    }

                    try
                    {
                        await calls.SyncAsync(r => r.Add(0));
                        outcomes++;
                    }
                    catch (ClosedException)
                    {
                        outcomes++;
                    }
                }

                return outcomes;
            })).ToArray();
            go.SignalAndWait();
            await calls.DisposeAsync().AsTask().WaitAsync(s_generous);

            var outcomes = await Task.WhenAll(producers).WaitAsync(s_generous);
            await loop.WaitAsync(s_generous);
            Assert.All(outcomes, o => Assert.Equal(200, o));
            Assert.Equal(accepted, recorder.Value + calls.DroppedOnewayCount);
            Assert.Equal(0, calls.PendingCount);
        }
    }
}
