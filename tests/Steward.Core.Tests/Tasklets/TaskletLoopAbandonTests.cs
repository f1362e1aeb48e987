using Steward.Tasklets;

namespace Steward.Tests.Tasklets;

/// <summary><see cref="TaskletLoop.StopAsync(CancellationToken)"/>: the token means "no longer graceful".</summary>
public class TaskletLoopAbandonTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stop_whose_token_fires_first_is_abandoned_and_later_stops_return_at_once()
    {
        var loop = new TaskletLoop("stubborn");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deaf = loop.Spawn(async _ =>
        {
            started.SetResult();
            await gate.Task; // not a tasklet wait: the stop cannot end it
        });
        await started.Task.WaitAsync(s_timeout);
        using var notGraceful = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.StopAsync(notGraceful.Token).AsTask());

        Assert.Contains("stubborn", error.Message);
        await loop.StopAsync().AsTask().WaitAsync(s_timeout);      // returns at once
        await loop.DisposeAsync().AsTask().WaitAsync(s_timeout);
        Assert.False(deaf.Completion.IsCompleted);
        gate.SetResult();
        await deaf.Completion.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task A_stop_that_ends_before_its_token_fires_is_an_ordinary_stop()
    {
        var loop = new TaskletLoop("prompt");
        var waiting = loop.Spawn(t => t.WaitAsync(WaitFor.Timeout(TimeSpan.FromHours(1))).AsTask());
        using var notGraceful = new CancellationTokenSource(s_timeout);

        await loop.StopAsync(notGraceful.Token);

        Assert.True(waiting.Completion.IsCanceled);
    }
}
