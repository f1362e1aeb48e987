using System.Diagnostics;
using System.Threading.Channels;
using Steward.Tasklets;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.Tasklets;

/// <summary>Timeouts on a hand-moved clock: exact, and free of timing flakiness.</summary>
public class TaskletTimeoutTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_100_ms_timeout_fires_at_100_ms_and_not_before()
    {
        var clock = new TestClock();
        await using var loop = new TaskletLoop("timeout", timeProvider: clock);
        var fired = Channel.CreateUnbounded<TimeSpan>();
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));

        var tasklet = loop.Spawn(async self =>
        {
            var wait = self.WaitAsync(timeout);
            armed.SetResult();
            Assert.Same(timeout, await wait);
            fired.Writer.TryWrite(clock.Elapsed);
        });

        await armed.Task.WaitAsync(s_timeout);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        await Task.Delay(20);
        Assert.False(fired.Reader.TryRead(out _), "fired before its period");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(100), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));
        await tasklet.Completion.WaitAsync(s_timeout);
        Assert.Equal(0, clock.ActiveTimers); // disarmed when the tasklet finished
    }

    [Fact]
    public async Task Waiting_again_on_the_same_timeout_keeps_its_period_at_100_200_300()
    {
        var clock = new TestClock();
        await using var loop = new TaskletLoop("periodic", timeProvider: clock);
        var fired = Channel.CreateUnbounded<TimeSpan>();
        var gates = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Spawn(async self =>
        {
            var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));
            var first = self.WaitAsync(timeout);
            armed.SetResult();
            await first;
            for (var i = 0; i < 3; i++)
            {
                fired.Writer.TryWrite(clock.Elapsed);
                await gates[i].Task; // busy with something else for a while: the timeout stays armed meanwhile
                if (i < 2)
                {
                    await self.WaitAsync(timeout);
                }
            }
        });

        await armed.Task.WaitAsync(s_timeout);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(TimeSpan.FromMilliseconds(100), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));

        // The tasklet waits again only at 130 ms; the period still counts from 100, not from 130.
        clock.Advance(TimeSpan.FromMilliseconds(30));
        gates[0].SetResult();
        await Task.Delay(20);
        clock.Advance(TimeSpan.FromMilliseconds(69));
        await Task.Delay(20);
        Assert.False(fired.Reader.TryRead(out _), "fired before 200 ms");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));

        // A fire that happens while the tasklet is busy is kept for its next wait.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        gates[1].SetResult();
        Assert.Equal(TimeSpan.FromMilliseconds(300), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));
        gates[2].SetResult();
    }

    [Fact]
    public async Task Restart_at_30_ms_makes_a_100_ms_timeout_fire_at_130()
    {
        var clock = new TestClock();
        await using var loop = new TaskletLoop("restart", timeProvider: clock);
        var fired = Channel.CreateUnbounded<(string, TimeSpan)>();
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        loop.Spawn(async self =>
        {
            var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));
            var nudge = WaitFor.Timeout(TimeSpan.FromMilliseconds(30));
            var wait = self.WaitAsync(timeout, nudge);
            armed.SetResult();
            Assert.Same(nudge, await wait);
            timeout.Restart();
            fired.Writer.TryWrite(("restarted", clock.Elapsed));
            Assert.Same(timeout, await self.WaitAsync(timeout));
            fired.Writer.TryWrite(("fired", clock.Elapsed));
        });

        await armed.Task.WaitAsync(s_timeout);
        clock.Advance(TimeSpan.FromMilliseconds(30));
        Assert.Equal(("restarted", TimeSpan.FromMilliseconds(30)), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));

        clock.Advance(TimeSpan.FromMilliseconds(70)); // 100 ms: the original schedule would fire now
        await Task.Delay(20);
        clock.Advance(TimeSpan.FromMilliseconds(29));
        await Task.Delay(20);
        Assert.False(fired.Reader.TryRead(out _), "fired before 130 ms");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(("fired", TimeSpan.FromMilliseconds(130)), await fired.Reader.ReadAsync().AsTask().WaitAsync(s_timeout));
    }

    [Fact]
    public void A_timeout_needs_a_positive_finite_period()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WaitFor.Timeout(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => WaitFor.Timeout(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => WaitFor.Timeout(Timeout.InfiniteTimeSpan));
    }
}

/// <summary>The same on the real clock, with tolerance for a loaded machine.</summary>
[Collection(SerialTestGroup.Name)]
public class TaskletTimeoutRealClockTests
{
    [Fact]
    public async Task A_100_ms_timeout_fires_after_about_100_ms_and_again_at_200_and_300()
    {
        await using var loop = new TaskletLoop("real-clock");
        var tasklet = loop.Spawn(async self =>
        {
            var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));
            var clock = Stopwatch.StartNew();
            var fires = new List<TimeSpan>();
            for (var i = 0; i < 3; i++)
            {
                Assert.Same(timeout, await self.WaitAsync(timeout));
                fires.Add(clock.Elapsed);
            }

            return fires;
        });

        var fires = (List<TimeSpan>)(await tasklet.Completion.WaitAsync(TimeSpan.FromSeconds(30)))!;
        for (var i = 0; i < 3; i++)
        {
            var expected = 100 * (i + 1);
            var ms = fires[i].TotalMilliseconds;
            Assert.True(ms >= expected - 5 && ms <= expected + 250, $"fire {i + 1} at {ms:F0} ms, expected about {expected} ms");
        }
    }
}
