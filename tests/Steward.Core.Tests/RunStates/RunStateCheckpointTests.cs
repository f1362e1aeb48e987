namespace Steward.Tests.RunStates;

public class RunStateCheckpointTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_sync_checkpoint_blocks_while_paused_and_continues_on_Resume()
    {
        var runState = new RunState("paused");
        runState.Start();
        runState.Pause();
        using var entered = new ManualResetEventSlim();
        var passed = false;

        var worker = Task.Factory.StartNew(() =>
        {
            entered.Set();
            runState.ThrowIfCancelled();
            passed = true;
        }, TaskCreationOptions.LongRunning);
        entered.Wait(s_timeout);

        // The worker cannot pass while paused; give it a real chance to (wrongly) get through.
        await Task.WhenAny(worker, Task.Delay(100));
        Assert.False(worker.IsCompleted);
        Assert.False(passed);

        runState.Resume();
        await worker.WaitAsync(s_timeout);
        Assert.True(passed);
    }

    [Fact]
    public async Task A_sync_checkpoint_throws_when_cancelled_during_the_pause()
    {
        var runState = new RunState("paused");
        runState.Start();
        runState.Pause();
        using var entered = new ManualResetEventSlim();
        var worker = Task.Factory.StartNew(() =>
        {
            entered.Set();
            runState.ThrowIfCancelled();
        }, TaskCreationOptions.LongRunning);
        entered.Wait(s_timeout);
        await Task.WhenAny(worker, Task.Delay(50));
        Assert.False(worker.IsCompleted);

        runState.Cancel();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => worker.WaitAsync(s_timeout));
        Assert.Equal(runState.Token, error.CancellationToken);
        Assert.Contains("'paused'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThrowIfCancelledAsync_returns_to_its_caller_while_paused_instead_of_blocking_a_thread()
    {
        var runState = new RunState();
        runState.Start();
        runState.Pause();

        // The call itself returns at once with an incomplete task: no thread is held while paused.
        var waits = Enumerable.Range(0, 1000).Select(_ => runState.ThrowIfCancelledAsync().AsTask()).ToArray();
        Assert.All(waits, w => Assert.False(w.IsCompleted));

        runState.Resume();
        await Task.WhenAll(waits).WaitAsync(s_timeout);
        Assert.All(waits, w => Assert.True(w.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task ThrowIfCancelledAsync_throws_when_cancelled_during_the_pause()
    {
        var runState = new RunState();
        runState.Start();
        runState.Pause();
        var wait = runState.ThrowIfCancelledAsync().AsTask();
        Assert.False(wait.IsCompleted);

        runState.Cancel();

        await Assert.ThrowsAsync<OperationCanceledException>(() => wait.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task The_callers_token_cancels_only_the_pause_wait()
    {
        var runState = new RunState();
        runState.Start();
        runState.Pause();
        using var cts = new CancellationTokenSource();
        var wait = runState.ThrowIfCancelledAsync(cts.Token).AsTask();

        cts.Cancel();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(s_timeout));
        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.False(runState.IsCancelled);
        Assert.True(runState.IsPaused);
    }

    [Fact]
    public void A_running_checkpoint_completes_synchronously_and_counts()
    {
        var runState = new RunState();
        runState.Start();
        var before = runState.Checkpoints;

        runState.ThrowIfCancelled();
        Assert.True(CompletedSynchronously(runState.ThrowIfCancelledAsync()));
        runState.WaitIfPaused();
        Assert.True(CompletedSynchronously(runState.WaitIfPausedAsync()));

        Assert.Equal(before + 4, runState.Checkpoints);
    }

    [Fact]
    public async Task WaitIfPaused_waits_for_resume_and_never_throws_for_cancellation()
    {
        var runState = new RunState();
        runState.Start();
        runState.Pause();
        var asyncWait = runState.WaitIfPausedAsync().AsTask();
        var syncWait = Task.Factory.StartNew(runState.WaitIfPaused, TaskCreationOptions.LongRunning);
        Assert.False(asyncWait.IsCompleted);

        runState.Cancel();

        await asyncWait.WaitAsync(s_timeout);
        await syncWait.WaitAsync(s_timeout);
        runState.WaitIfPaused(); // cancelled, not paused: returns
    }

    [Fact]
    public async Task Stop_releases_paused_checkpoints()
    {
        var runState = new RunState();
        runState.Start();
        runState.Pause();
        var wait = runState.WaitIfPausedAsync().AsTask();

        runState.Stop();

        await wait.WaitAsync(s_timeout);
        Assert.False(runState.IsPaused);
    }

    [Fact]
    public async Task A_pause_after_a_resume_holds_the_checkpoint_again()
    {
        var runState = new RunState();
        runState.Start();
        for (var i = 0; i < 100; i++)
        {
            runState.Pause();
            var wait = runState.ThrowIfCancelledAsync().AsTask();
            Assert.False(wait.IsCompleted);
            runState.Resume();
            await wait.WaitAsync(s_timeout);
        }
    }

    [Fact]
    public void Iterate_yields_until_cancelled_and_counts_a_checkpoint_per_item()
    {
        var runState = new RunState();
        runState.Start();
        var seen = new List<int>();
        foreach (var item in runState.Iterate(Enumerable.Range(0, 100)))
        {
            seen.Add(item);
            if (item == 4)
            {
                runState.Cancel();
            }
        }

        Assert.Equal([0, 1, 2, 3, 4], seen);
        Assert.True(runState.Checkpoints >= 5);
        Assert.Throws<ArgumentNullException>(() => runState.Iterate<int>(null!));
    }

    [Fact]
    public async Task IterateAsync_yields_until_cancelled_and_waits_while_paused()
    {
        var runState = new RunState();
        runState.Start();
        var seen = new List<int>();
        Task<int>? resumer = null;
        await foreach (var item in runState.IterateAsync(Numbers(100)))
        {
            seen.Add(item);
            if (item == 2)
            {
                runState.Pause();
                resumer = Task.Run(async () =>
                {
                    await Task.Delay(20); // a chance for the loop to (wrongly) go on while paused
                    var countWhilePaused = seen.Count;
                    runState.Resume();
                    return countWhilePaused;
                });
            }

            if (item == 5)
            {
                runState.Cancel();
            }
        }

        Assert.Equal([0, 1, 2, 3, 4, 5], seen);
        Assert.Equal(3, await resumer!);

        static async IAsyncEnumerable<int> Numbers(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
    }

    private static bool CompletedSynchronously(ValueTask pending) => pending.IsCompletedSuccessfully;
}
