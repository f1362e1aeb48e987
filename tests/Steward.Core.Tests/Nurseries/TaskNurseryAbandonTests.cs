using Steward.Nurseries;

namespace Steward.Tests.Nurseries;

/// <summary><see cref="TaskNursery.CloseAsync(CancellationToken)"/>: the token means "no longer graceful".</summary>
public class TaskNurseryAbandonTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_close_whose_token_fires_first_is_abandoned_and_later_closes_return_at_once()
    {
        var nursery = new TaskNursery("stubborn");
        using var release = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deaf = nursery.Start(async _ =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, release.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // ignores the nursery's token
        });
        await started.Task.WaitAsync(s_timeout);
        using var notGraceful = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => nursery.CloseAsync(notGraceful.Token).AsTask());

        Assert.Equal(notGraceful.Token, error.CancellationToken);
        Assert.Contains("stubborn", error.Message);
        Assert.True(nursery.Completion.IsCompletedSuccessfully);
        await nursery.DisposeAsync().AsTask().WaitAsync(s_timeout); // returns at once, quietly
        Assert.False(deaf.IsCompleted); // left running, not waited for
        release.Cancel();
        await deaf.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task A_close_that_ends_before_its_token_fires_is_an_ordinary_close()
    {
        var nursery = new TaskNursery("prompt");
        var child = nursery.Start(ct => Task.Delay(Timeout.Infinite, ct));
        using var notGraceful = new CancellationTokenSource(s_timeout);

        await nursery.CloseAsync(notGraceful.Token);

        Assert.True(child.IsCanceled);
        Assert.True(nursery.Completion.IsCompletedSuccessfully);
    }
}
