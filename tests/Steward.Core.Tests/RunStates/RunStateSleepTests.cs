using System.Diagnostics;
using Steward.Tests.Support;

namespace Steward.Tests.RunStates;

[Collection(SerialTestGroup.Name)]
public class RunStateSleepTests
{
    [Fact]
    public async Task SleepAsync_ends_within_milliseconds_of_Cancel_without_throwing()
    {
        var runState = new RunState("sleeper");
        runState.Start();
        var sleep = runState.SleepAsync(TimeSpan.FromMinutes(10));
        Assert.False(sleep.IsCompleted);

        var clock = Stopwatch.StartNew();
        runState.Cancel();
        await sleep.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();

        Assert.True(sleep.IsCompletedSuccessfully);
        // Cancellation wakes the sleep directly (no step polling); generous bound for a loaded CI machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(250), $"woke {clock.Elapsed.TotalMilliseconds} ms after Cancel");
    }

    [Fact]
    public async Task SleepAsync_sleeps_for_the_delay()
    {
        var runState = new RunState();
        runState.Start();
        var clock = Stopwatch.StartNew();
        await runState.SleepAsync(TimeSpan.FromMilliseconds(50));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(45), $"slept only {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task SleepAsync_returns_at_once_when_already_cancelled()
    {
        var runState = new RunState();
        runState.Start();
        runState.Cancel();
        var sleep = runState.SleepAsync(TimeSpan.FromHours(1));
        Assert.True(sleep.IsCompletedSuccessfully);
        await sleep;
    }

    [Fact]
    public async Task The_callers_token_cancels_the_sleep_with_an_exception()
    {
        var runState = new RunState();
        runState.Start();
        using var cts = new CancellationTokenSource();
        var sleep = runState.SleepAsync(TimeSpan.FromHours(1), cts.Token);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
        Assert.False(runState.IsCancelled);
    }

    [Fact]
    public void A_negative_delay_throws_naming_the_RunState()
    {
        var runState = new RunState("sleeper");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = runState.SleepAsync(TimeSpan.FromSeconds(-1)); });
        Assert.Equal("delay", error.ParamName);
        Assert.Contains("'sleeper'", error.Message, StringComparison.Ordinal);
    }
}
