using Steward.Deferred;

namespace Steward.Tests.Deferred;

public class DeferredCallTimeoutTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(100);

    // Long enough for a dedicated processor thread to start the call first, even on a loaded machine.
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task A_sync_call_that_had_not_started_when_it_timed_out_throws_TimeoutException_and_never_runs()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder, new DeferredCallOptions { Name = "slow" });
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(r => r.Block(gate, entered)); // keeps the processor busy
        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => calls.SyncAsync(r => r.Add(1), timeout: s_short));
        Assert.Equal(0, calls.PendingCount); // removed from the count at once
        gate.Set();
        await calls.SyncAsync(r => r.Record("drained")).WaitAsync(s_generous); // the processor has passed the timed-out call

        Assert.Equal(0, recorder.Value); // its side effect never happened
        Assert.Contains("'slow'", error.Message);
        Assert.Contains("'Add'", error.Message);
        Assert.Contains("never run", error.Message);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_running_call_sees_its_token_cancelled_when_its_timeout_passes()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder());
        var sawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var pending = calls.SyncAsync(async (r, ct) =>
        {
            entered.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancel.SetResult();
                throw;
            }
        }, timeout: s_timeout, name: "WaitForever");
        var processor = StartProcessorThread(calls);
        await entered.Task.WaitAsync(s_generous);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => pending.WaitAsync(s_generous));
        await sawCancel.Task.WaitAsync(s_generous);
        Assert.Contains("'WaitForever'", error.Message);
        Assert.Contains("while running", error.Message);
        Assert.True(processor.Join(s_generous));
        calls.Oneway(r => r.Add(1));
        Assert.Equal(1, calls.ProcessPending()); // the handler carries on
    }

    [Fact]
    public async Task A_running_synchronous_call_that_overruns_releases_its_caller_at_the_timeout()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var pending = calls.SyncAsync(r => r.Block(gate, entered), timeout: s_timeout);
        var processor = StartProcessorThread(calls);
        await entered.Task.WaitAsync(s_generous);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => pending.WaitAsync(s_generous));

        Assert.False(gate.IsSet); // released while the call was still blocked
        Assert.Contains("while running", error.Message);
        gate.Set();
        Assert.True(processor.Join(s_generous));
    }

    [Fact]
    public async Task A_timeout_applies_to_that_call_only()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        using var gate = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Oneway(r => r.Block(gate, entered));
        var loop = calls.ProcessAsync();
        await entered.Task.WaitAsync(s_generous);

        var timedOut = calls.SyncAsync(r => r.Record("timed out"), timeout: s_short);
        var patient = calls.SyncAsync(r => r.Add(5));
        var generous = calls.SyncAsync(r => r.Add(10), timeout: s_generous);
        await Assert.ThrowsAsync<TimeoutException>(() => timedOut);
        Assert.False(patient.IsCompleted);
        Assert.False(generous.IsCompleted);
        gate.Set();

        Assert.Equal(5, await patient.WaitAsync(s_generous));
        Assert.Equal(15, await generous.WaitAsync(s_generous));
        Assert.Equal(16, await calls.SyncAsync(r => r.Add(1), timeout: s_generous).WaitAsync(s_generous)); // not sticky
        Assert.Empty(recorder.Ran);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }

    [Fact]
    public async Task A_cancelled_caller_gets_OperationCanceledException_for_its_token_and_the_call_never_runs()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        using var cts = new CancellationTokenSource();

        var pending = calls.SyncAsync(r => r.Add(1), cancellationToken: cts.Token);
        Assert.Equal(1, calls.PendingCount);
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(s_generous));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Equal(0, calls.PendingCount);
        Assert.Equal(0, calls.ProcessPending());
        Assert.Equal(0, recorder.Value);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => calls.SyncAsync(r => r.Add(1), cancellationToken: cts.Token));
    }

    // A dedicated thread (not the thread pool, which parallel tests may starve) runs one pass.
    private static Thread StartProcessorThread(DeferredCalls<Recorder> calls)
    {
        var thread = new Thread(() => calls.ProcessPending());
        thread.Start();
        return thread;
    }

    [Fact]
    public async Task Many_racing_timeouts_each_either_run_once_or_never_run()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var loop = calls.ProcessAsync();
        const int Calls = 2_000;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async i =>
        {
            try
            {
                await calls.SyncAsync(r => r.Add(1), timeout: TimeSpan.FromTicks(1 + (i % 50) * 2_000));
                return 1;
            }
            catch (TimeoutException)
            {
                return 0;
            }
        })).WaitAsync(s_generous);
        await calls.SyncAsync(r => r.Record("drained")).WaitAsync(s_generous);

        // A call that timed out may still have run (it had started), but none ran twice and none that succeeded is lost.
        Assert.InRange(recorder.Value, outcomes.Sum(), Calls);
        Assert.Equal(0, calls.PendingCount);
        calls.StopProcessing();
        await loop.WaitAsync(s_generous);
    }
}
