using Steward.Tests.Support;

namespace Steward.Tests.RunStates;

/// <summary>What a worker loop's sleeps allocate, on the real clock: serial, so no other test's allocations count.</summary>
[Collection(SerialTestGroup.Name)]
public class RunStateSleepAllocationTests
{
    [Fact]
    public async Task Consecutive_sleeps_of_a_run_share_one_timer_and_allocate_about_a_third_of_Task_Delay()
    {
        var runState = new RunState("sleeper");
        runState.Start();
        const int Sleeps = 100;
        var delay = TimeSpan.FromMilliseconds(1);

        // On the thread pool, as a worker runs: no test framework's synchronization context between the sleeps. The
        // process's other threads (tiered compilation, the pool's own start) allocate too: the smaller of three rounds.
        using var cts = new CancellationTokenSource(); // what a plain BackgroundService loop sleeps on
        double steward = double.MaxValue, plain = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            steward = Math.Min(steward, await Task.Run(() => MeasureAsync(() => runState.SleepAsync(delay))));
            plain = Math.Min(plain, await Task.Run(() => MeasureAsync(() => Task.Delay(delay, cts.Token))));
        }
        runState.Stop();

        // Steward: a completion source and its task per sleep. Task.Delay: a promise, a timer and a registration.
        Assert.True(steward < plain * 0.6, $"a sleep allocated {steward:F0} B against {plain:F0} B for Task.Delay");

        async Task<double> MeasureAsync(Func<Task> sleep)
        {
            for (var i = 0; i < 30; i++)
            {
                await sleep(); // warm up: the run's sleeper, JIT, the timer queue
            }

            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Sleeps; i++)
            {
                await sleep();
            }

            return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Sleeps;
        }
    }
}
