using System.Diagnostics;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.RunStates;

[Collection(SerialTestGroup.Name)]
public class RunStateSleepTests
{
    [Fact]
    public async Task SleepAsync_throws_within_milliseconds_of_Cancel()
    {
        // Many trials and their median: one trial can always be descheduled on a loaded machine, the median cannot.
        const int Trials = 20;
        var latencies = new TimeSpan[Trials];
        for (var trial = 0; trial < Trials; trial++)
        {
            latencies[trial] = await CancelASleep(trial);
        }

        Array.Sort(latencies);
        var median = latencies[Trials / 2];
        var report = string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:F2}"));
        Assert.True(median < TimeSpan.FromMilliseconds(15), $"median {median.TotalMilliseconds:F2} ms from Cancel to wake-up ({report})");
        Assert.True(latencies[^1] < TimeSpan.FromSeconds(1), $"a sleep took {latencies[^1].TotalMilliseconds:F2} ms to wake ({report})");
    }

    /// <summary>Cancels a pending 10 s sleep from another thread; returns the time from just before Cancel to the
    /// awaiting code resuming.</summary>
    private static async Task<TimeSpan> CancelASleep(int trial)
    {
        var runState = new RunState($"sleeper-{trial}");
        runState.Start();
        var sleep = runState.SleepAsync(TimeSpan.FromSeconds(10));
        Assert.False(sleep.IsCompleted); // pending: its timer and its cancellation registration are in place

        long cancelledAt = 0;
        var canceller = new Thread(() =>
        {
            Volatile.Write(ref cancelledAt, Stopwatch.GetTimestamp());
            runState.Cancel();
        });
        canceller.Start();

        // Bounded by the sleep itself: if Cancel did not wake it, it ends after 10 s and the bound below fails.
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
        var resumedAt = Stopwatch.GetTimestamp();
        canceller.Join();

        Assert.True(sleep.IsCanceled);
        Assert.Equal(runState.Token, error.CancellationToken); // the RunState's cancellation, as a checkpoint reports it
        return Stopwatch.GetElapsedTime(Volatile.Read(ref cancelledAt), resumedAt);
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

    [Theory]
    [InlineData(3_600_000)]
    [InlineData(0)]
    [InlineData(-1)] // infinite
    public async Task SleepAsync_throws_at_once_when_already_cancelled(int milliseconds)
    {
        var runState = new RunState();
        runState.Start();
        runState.Cancel();
        var sleep = runState.SleepAsync(TimeSpan.FromMilliseconds(milliseconds));
        Assert.True(sleep.IsCanceled);
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
        Assert.Equal(runState.Token, error.CancellationToken);
    }

    [Fact]
    public async Task A_cancelled_RunState_throws_from_a_sleep_with_a_token_of_its_own_too()
    {
        var runState = new RunState();
        runState.Start();
        using var cts = new CancellationTokenSource();
        var sleep = runState.SleepAsync(TimeSpan.FromHours(1), cts.Token);
        Assert.False(sleep.IsCompleted);

        runState.Cancel();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
        Assert.Equal(runState.Token, error.CancellationToken);
        Assert.False(cts.IsCancellationRequested);
    }

    [Fact]
    public async Task The_natural_worker_loop_ends_at_the_stop_instead_of_spinning()
    {
        // while (true) { Work(); await rs.SleepAsync(interval); }: a sleep that returned quietly after cancellation
        // would spin here until the RunToEndAsync bound; the sleep's exception ends the loop and the run is cancelled.
        var runState = new RunState("looper");
        var iterations = 0;
        var twice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = runState.RunToEndAsync(async rs =>
        {
            while (true)
            {
                if (++iterations == 2)
                {
                    twice.TrySetResult();
                }

                await rs.SleepAsync(TimeSpan.FromMilliseconds(1));
            }
        });
        await twice.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var before = Volatile.Read(ref iterations);

        runState.Cancel();

        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(outcome.Succeeded, outcome.Failure?.ToString()); // ended by its own cancellation: not a failure
        Assert.InRange(Volatile.Read(ref iterations), before, before + 1);
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
    public void A_delay_beyond_the_timers_limit_throws_at_once_naming_the_RunState()
    {
        var runState = new RunState("sleeper");
        runState.Start();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = runState.SleepAsync(TimeSpan.FromDays(60)); });
        Assert.Equal("delay", error.ParamName);
        Assert.Contains("'sleeper'", error.Message, StringComparison.Ordinal);
        Assert.Contains("49.7 days", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_infinite_sleep_needs_no_timer_and_is_cancelled_by_Cancel()
    {
        var clock = new TestClock();
        var runState = new RunState("sleeper", clock);
        runState.Start();
        var sleep = runState.SleepAsync(Timeout.InfiniteTimeSpan);
        Assert.Equal(0, clock.ActiveTimers);
        Assert.False(sleep.IsCompleted);

        runState.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(sleep.IsCanceled);
    }

    [Fact]
    public void A_negative_delay_throws_naming_the_RunState_even_when_cancelled()
    {
        var runState = new RunState("sleeper");
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = runState.SleepAsync(TimeSpan.FromSeconds(-1)); });
        runState.Start();
        runState.Cancel();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = runState.SleepAsync(TimeSpan.FromSeconds(-1)); });
        Assert.Equal("delay", error.ParamName);
        Assert.Contains("'sleeper'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sleeps_ended_by_their_timer_or_by_a_racing_cancel_end_once_each_and_leave_no_timer_behind()
    {
        var clock = new TestClock();
        for (var round = 0; round < 300; round++)
        {
            var runState = new RunState($"sleeper-{round}", clock);
            runState.Start();
            var sleeps = Enumerable.Range(0, 20).Select(i => runState.SleepAsync(TimeSpan.FromSeconds(1 + (i % 2)))).ToList();
            Assert.Equal(20, clock.ActiveTimers);

            // The clock fires the one-second sleeps while Cancel ends them all: each ends once, by one or the other.
            using var go = new Barrier(2);
            var advancer = new Thread(() =>
            {
                go.SignalAndWait();
                clock.Advance(TimeSpan.FromSeconds(1));
            });
            advancer.Start();
            go.SignalAndWait();
            runState.Cancel();
            advancer.Join();

            await Task.WhenAll(sleeps).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));
            // The two-second sleeps can only have been cancelled; a one-second one ended by whichever came first.
            Assert.All(sleeps.Where((_, i) => i % 2 == 1), sleep => Assert.True(sleep.IsCanceled));
            Assert.All(sleeps, sleep => Assert.True(sleep.IsCompletedSuccessfully || sleep.IsCanceled));
            Assert.Equal(0, clock.ActiveTimers); // every sleep's timer was disposed, whichever way it ended
            runState.Stop();
        }
    }

    [Fact]
    public async Task Two_flows_sleeping_on_one_run_each_wake_at_their_own_time_and_a_restart_sleeps_on_its_new_token()
    {
        var clock = new TestClock();
        var runState = new RunState("sleeper", clock);
        runState.Start();
        var first = runState.SleepAsync(TimeSpan.FromSeconds(2));  // the run's sleeper
        var second = runState.SleepAsync(TimeSpan.FromSeconds(1)); // a one-off sleeper: the run's is busy
        Assert.Equal(2, clock.ActiveTimers);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(second.IsCompletedSuccessfully);
        Assert.False(first.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(first.IsCompletedSuccessfully);

        var cancelledToken = runState.Token;
        var interrupted = runState.SleepAsync(TimeSpan.FromSeconds(5));
        runState.Cancel();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted);
        Assert.Equal(cancelledToken, error.CancellationToken);
        Assert.Equal(0, clock.ActiveTimers); // the run's timer went with its token
        runState.Stop();

        runState.Start(); // a new run, a new token: its sleeps work as before
        Assert.NotEqual(cancelledToken, runState.Token);
        var next = runState.SleepAsync(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(next.IsCompletedSuccessfully);
        runState.Stop();
    }
}
