using Microsoft.Extensions.Logging;
using Steward.Deferred;
using Steward.Tests.Support;

namespace Steward.Tests.Deferred;

public class DeferredCallsTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SyncAsync_returns_the_calls_value_computed_by_the_processor()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync();

        Assert.Equal(5, await calls.SyncAsync(r => r.Add(5)).WaitAsync(s_generous));
        Assert.Equal(7, await calls.SyncAsync(r => r.Add(2)).WaitAsync(s_generous));
        await calls.SyncAsync(r => r.Record("void")).WaitAsync(s_generous);
        Assert.Equal(7, await calls.SyncAsync(async (r, ct) => { await Task.Yield(); return r.Value; }).WaitAsync(s_generous));
        await calls.SyncAsync((r, ct) => r.RecordSlowlyAsync("async", ct)).WaitAsync(s_generous);

        Assert.Equal(["void", "async"], recorder.Ran);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Sync_blocks_the_caller_until_the_processor_ran_the_call()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync();

        var value = await Task.Run(() => calls.Sync(r => r.Add(3))).WaitAsync(s_generous);
        await Task.Run(() => calls.Sync(r => r.Record("done"))).WaitAsync(s_generous);

        Assert.Equal(3, value);
        Assert.Equal(["done"], recorder.Ran);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_throwing_sync_call_rethrows_the_same_exception_type_and_message_at_the_caller()
    {
        // The Lemming example: sync calls forward exceptions just like regular calls.
        await using var lemming = new DeferredCalls<Recorder>(new Recorder());
        var loop = lemming.ProcessAsync();

        var asyncError = await Assert.ThrowsAsync<InvalidOperationException>(() => lemming.SyncAsync(r => r.Kaboom()));
        var blockingError = await Task.Run(() => Assert.Throws<InvalidOperationException>(() => lemming.Sync(r => r.Kaboom())));
        var asyncBodyError = await Assert.ThrowsAsync<FormatException>(
            () => lemming.SyncAsync<int>(async (r, ct) => { await Task.Yield(); throw new FormatException("bad format"); }));

        Assert.Equal("#high pitched# oh no!", asyncError.Message);
        Assert.Equal("#high pitched# oh no!", blockingError.Message);
        Assert.Equal("bad format", asyncBodyError.Message);
        Assert.Equal(1, await lemming.SyncAsync(r => r.Add(1))); // the processor carries on
        lemming.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_throwing_oneway_is_logged_and_raises_OnewayFailed_while_the_caller_carries_on()
    {
        var logger = new ListLogger();
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Name = "lemming" }, logger);
        var failures = new List<DeferredCallFailure>();
        calls.OnewayFailed += failures.Add;

        Assert.True(calls.Oneway(r => r.Kaboom()));
        Assert.True(calls.Oneway(r => r.Record("after")));
        Assert.True(calls.Oneway(async (r, ct) => { await Task.Yield(); throw new FormatException("async kaboom"); }, "AsyncKaboom"));
        Assert.Equal(3, calls.ProcessPending());

        Assert.Equal(["after"], recorder.Ran);
        Assert.Equal(2, failures.Count);
        Assert.Equal("Kaboom", failures[0].Name);
        Assert.IsType<InvalidOperationException>(failures[0].Exception);
        Assert.Equal("#high pitched# oh no!", failures[0].Exception.Message);
        Assert.Equal("AsyncKaboom", failures[1].Name);
        Assert.IsType<FormatException>(failures[1].Exception);
        var errors = logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("'lemming'", errors[0].Message);
        Assert.Contains("'Kaboom'", errors[0].Message);
        Assert.Same(failures[0].Exception, errors[0].Exception);
    }

    [Fact]
    public async Task A_throwing_OnewayFailed_handler_is_logged_and_the_other_handlers_and_calls_still_run()
    {
        var logger = new ListLogger();
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, logger: logger);
        var seen = 0;
        calls.OnewayFailed += _ => throw new InvalidCastException("handler broke");
        calls.OnewayFailed += _ => seen++;

        calls.Oneway(r => r.Kaboom());
        calls.Oneway(r => r.Record("next"));
        Assert.Equal(2, calls.ProcessPending());

        Assert.Equal(1, seen);
        Assert.Equal(["next"], recorder.Ran);
        Assert.Contains(logger.Entries, e => e.Exception is InvalidCastException);
    }

    [Fact]
    public async Task ProcessPending_runs_queued_calls_one_at_a_time_in_first_in_first_out_order()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        for (var i = 0; i < 100; i++)
        {
            var n = i;
            calls.Oneway(r => r.Record($"call {n}"));
        }

        Assert.Equal(100, calls.PendingCount);
        Assert.Empty(recorder.Ran); // nothing runs until the owner processes
        Assert.Equal(100, calls.ProcessPending());

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"call {i}"), recorder.Ran);
        Assert.Equal(0, calls.PendingCount);
        Assert.Equal(0, calls.ProcessPending());
    }

    [Fact]
    public async Task ProcessPending_takes_only_the_calls_queued_when_it_began()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        calls.Oneway(r =>
        {
            r.Record("first");
            calls.Oneway(r2 => r2.Record("queued by first"));
        });
        calls.Oneway(r => r.Record("second"));

        Assert.Equal(2, calls.ProcessPending());
        Assert.Equal(["first", "second"], recorder.Ran);
        Assert.Equal(1, calls.PendingCount);
        Assert.Equal(1, calls.ProcessPending());
        Assert.Equal(["first", "second", "queued by first"], recorder.Ran);
    }

    [Fact]
    public async Task Asynchronous_calls_are_awaited_before_the_next_call_so_calls_never_overlap()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync();

        var sync = Enumerable.Range(0, 5)
            .Select(i => calls.SyncAsync((r, ct) => r.RecordSlowlyAsync($"sync {i}", ct), name: "Slow"))
            .ToList();
        for (var i = 0; i < 5; i++)
        {
            var n = i;
            calls.Oneway((r, ct) => r.RecordSlowlyAsync($"oneway {n}", ct));
        }

        await Task.WhenAll(sync).WaitAsync(s_generous);
        await calls.SyncAsync(r => r.Record("last")).WaitAsync(s_generous);

        Assert.Equal(0, recorder.Overlaps);
        Assert.Equal(11, recorder.Ran.Count);
        Assert.Equal("last", recorder.Ran[^1]);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_whitelist_A_over_the_queue_A_B_A_runs_A_twice_and_B_stays_queued_in_order_for_the_next_pass()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        calls.Oneway(r => r.Record("A1"), "A");
        calls.Oneway(r => r.Record("B1"), "B");
        calls.Oneway(r => r.Record("A2"), "A");

        Assert.Equal(2, calls.ProcessPending(["A"]));
        Assert.Equal(["A1", "A2"], recorder.Ran);
        Assert.Equal(1, calls.PendingCount);

        calls.Oneway(r => r.Record("C1"), "C");
        Assert.Equal(2, calls.ProcessPending());
        Assert.Equal(["A1", "A2", "B1", "C1"], recorder.Ran); // B kept its place ahead of later calls
        Assert.Equal(0, calls.PendingCount);
    }

    [Fact]
    public async Task Set_aside_calls_keep_their_order_across_several_whitelisted_passes()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        foreach (var name in new[] { "B", "C", "A", "B", "C", "A" })
        {
            calls.Oneway(r => r.Record(name), name);
        }

        Assert.Equal(2, calls.ProcessPending(["A"]));
        Assert.Equal(2, calls.ProcessPending(new HashSet<string> { "C" }));
        Assert.Equal(0, calls.ProcessPending([]));  // an empty whitelist runs nothing
        Assert.Equal(2, calls.ProcessPending());

        Assert.Equal(["A", "A", "C", "C", "B", "B"], recorder.Ran);
    }

    [Fact]
    public async Task A_whitelisted_ProcessAsync_runs_listed_calls_as_they_come_and_leaves_the_rest_queued()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync(["Add"]);

        calls.Oneway(r => r.Record("not listed"));
        Assert.Equal(1, await calls.SyncAsync(r => r.Add(1)).WaitAsync(s_generous));
        Assert.Equal(3, await calls.SyncAsync(r => r.Add(2)).WaitAsync(s_generous));

        Assert.Empty(recorder.Ran);
        Assert.Equal(1, calls.PendingCount);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
        Assert.Equal(1, calls.ProcessPending());
        Assert.Equal(["not listed"], recorder.Ran);
    }

    [Fact]
    public async Task StopProcessing_ends_ProcessAsync_after_the_current_call_and_later_calls_wait_for_the_next_pass()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(r => r.Block(gate, entered));
        calls.Oneway(r => r.Record("queued before stop"));
        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);

        calls.StopProcessing();
        calls.Oneway(r => r.Record("queued after stop"));
        Assert.False(loop.IsCompleted); // the current call is still running
        gate.Set();
        await loop.WaitAsync(s_generous);

        Assert.Empty(recorder.Ran);
        Assert.Equal(2, calls.PendingCount);
        Assert.Equal(2, calls.ProcessPending());
        Assert.Equal(["queued before stop", "queued after stop"], recorder.Ran);
    }

    [Fact]
    public async Task StopProcessing_wakes_an_idle_ProcessAsync_and_a_new_pass_can_start_afterwards()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        for (var round = 0; round < 50; round++)
        {
            var loop = calls.ProcessAsync();
            Assert.Equal(round + 1, await calls.SyncAsync(r => r.Add(1)).WaitAsync(s_generous));
            calls.StopProcessing();
            await loop.WaitAsync(s_generous);
        }
    }

    [Fact]
    public async Task Cancelling_an_idle_ProcessAsync_ends_it_with_OperationCanceledException()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder());
        using var cts = new CancellationTokenSource();
        var loop = calls.ProcessAsync(cancellationToken: cts.Token);
        Assert.Equal(1, await calls.SyncAsync(r => r.Add(1)).WaitAsync(s_generous));

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.WaitAsync(s_generous));
        Assert.Equal(0, calls.ProcessPending()); // the processing role was given back
    }

    [Fact]
    public async Task A_SyncAsync_made_from_inside_a_call_being_processed_runs_inline_and_completes()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync();

        var result = await calls.SyncAsync(r =>
        {
            var inner = calls.SyncAsync(r2 => r2.Add(10));
            Assert.True(inner.IsCompletedSuccessfully); // ran inline, at once
            return calls.Sync(r2 => r2.Add(1)) + inner.Result;
        }).WaitAsync(s_generous);
        var fromAsync = await calls.SyncAsync(async (r, ct) =>
        {
            await Task.Delay(10, ct); // continues on another thread: the async flow still marks it as inside the call
            return await calls.SyncAsync(r2 => r2.Add(100));
        }).WaitAsync(s_generous);
        calls.Oneway(r => calls.Sync(r2 => r2.Record("nested in oneway")));
        await calls.SyncAsync(r => r.Record("after")).WaitAsync(s_generous);

        Assert.Equal(21, result);
        Assert.Equal(111, fromAsync);
        Assert.Equal(["nested in oneway", "after"], recorder.Ran);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task Work_a_call_leaves_behind_is_not_treated_as_inside_the_call()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        Task<int>? leftBehind = null;
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new SemaphoreSlim(0);
        calls.Oneway(async (r, ct) =>
        {
            await Task.Yield();
            leftBehind = Task.Run(async () =>
            {
                await release.WaitAsync(ct);
                var pending = calls.SyncAsync(r2 => r2.Add(1)); // after the call ended: queued, not inline
                queued.SetResult();
                return await pending;
            }, ct);
        });
        Assert.Equal(1, calls.ProcessPending());

        release.Release();
        await queued.Task.WaitAsync(s_generous);

        Assert.False(leftBehind!.IsCompleted);
        Assert.Equal(1, calls.PendingCount);
        Assert.Equal(1, calls.ProcessPending());
        Assert.Equal(1, await leftBehind.WaitAsync(s_generous));
    }

    [Fact]
    public async Task A_second_concurrent_pass_is_refused_with_a_message_naming_the_handler()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Name = "single" });
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(r => r.Block(gate, entered));
        var first = Task.Run(() => calls.ProcessPending());
        await entered.Task.WaitAsync(s_generous);

        var error = Assert.Throws<InvalidOperationException>(() => calls.ProcessPending());
        var asyncError = await Assert.ThrowsAsync<InvalidOperationException>(() => calls.ProcessAsync());
        gate.Set();

        Assert.Contains("'single'", error.Message);
        Assert.Contains("already being processed", asyncError.Message);
        Assert.Equal(1, await first.WaitAsync(s_generous));
    }

    [Fact]
    public async Task Processing_from_inside_one_of_its_own_calls_is_refused()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Name = "reentrant" });
        var failures = new List<DeferredCallFailure>();
        calls.OnewayFailed += failures.Add;
        calls.Oneway(r => calls.ProcessPending());
        Assert.Equal(1, calls.ProcessPending());
        var loop = calls.ProcessAsync();

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => calls.SyncAsync(r => calls.ProcessPending()));

        Assert.Contains("'reentrant' cannot be processed from inside one of its own calls", thrown.Message);
        Assert.IsType<InvalidOperationException>(Assert.Single(failures).Exception);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task An_explicit_name_wins_over_the_lambda_text()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var failures = new List<DeferredCallFailure>();
        calls.OnewayFailed += failures.Add;
        calls.Oneway(r => r.Kaboom(), name: "Explode");
        calls.Oneway(r => r.Record("Record"));

        Assert.Equal(1, calls.ProcessPending(["Explode"]));
        Assert.Equal("Explode", Assert.Single(failures).Name);
        Assert.Equal(1, calls.ProcessPending(["Record"]));
    }

    [Fact]
    public async Task DeferredCallHandler_is_its_own_target()
    {
        await using var manager = new SelfManager();
        var loop = manager.ProcessAsync();

        Assert.Same(manager, manager.Target);
        Assert.Equal("SelfManager", manager.Name);
        Assert.Equal(42, await manager.SyncAsync(m => m.Answer()).WaitAsync(s_generous));
        manager.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new DeferredCalls<Recorder>(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Capacity = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { DrainTimeout = TimeSpan.FromSeconds(-2) }));
        var calls = new DeferredCalls<Recorder>(new Recorder());
        Assert.Throws<ArgumentNullException>(() => calls.Oneway((Action<Recorder>)null!));
        Assert.Throws<ArgumentNullException>(() => { _ = calls.SyncAsync((Func<Recorder, int>)null!); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = calls.SyncAsync(r => r.Add(1), TimeSpan.FromSeconds(-3)); });
    }

    private sealed class SelfManager : DeferredCallHandler<SelfManager>
    {
        private readonly int _answer = 42;

        public int Answer() => _answer;
    }
}
