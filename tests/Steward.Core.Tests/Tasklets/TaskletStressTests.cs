using Steward.Tasklets;
using Steward.Tests.Support;

namespace Steward.Tests.Tasklets;

[Collection(SerialTestGroup.Name)]
public class TaskletStressTests
{
    [Fact]
    public async Task Ten_thousand_tasklets_exchanging_10_messages_each_deliver_all_in_order_per_sender()
    {
        const int Tasklets = 10_000;
        const int Messages = 10;
        await using var loop = new TaskletLoop("stress");
        var ring = new Tasklet[Tasklets];
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        for (var i = 0; i < Tasklets; i++)
        {
            var index = i;
            ring[i] = loop.Spawn(async self =>
            {
                await start.Task; // every tasklet exists before the first message
                var right = ring[(index + 1) % Tasklets];
                var left = ring[(index + Tasklets - 1) % Tasklets];
                var accept = WaitFor.Messages(accept: ["m"]);
                var received = 0;
                for (var k = 0; k < Messages; k++)
                {
                    await self.SendAsync(new Message("m", k) { Dest = right });
                    var message = (Message)await self.WaitAsync(accept);
                    Assert.Same(left, message.Sender);
                    Assert.Equal(received, (int)message.Value!);
                    received++;
                }

                return received;
            }, $"t{i}");
        }

        start.SetResult();
        var results = await Task.WhenAll(ring.Select(t => t.Completion)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, r => Assert.Equal(Messages, r));
        Assert.Equal(Tasklets * Messages, results.Sum(r => (int)r!));
        Assert.All(ring, t => Assert.Equal(0, t.QueuedMessageCount));
    }

    [Fact]
    public async Task Fires_racing_with_disarming_and_rearming_are_never_delivered_to_the_wrong_wait()
    {
        const int Iterations = 3_000;
        await using var loop = new TaskletLoop("races");
        var done = Task.CompletedTask;
        var tasklet = loop.Spawn(async self =>
        {
            var external = new RacingCondition(); // re-armed every iteration: its stale fires must be told apart
            var outcomes = new int[3];
            for (var i = 0; i < Iterations; i++)
            {
                var timeout = WaitFor.Timeout(TimeSpan.FromTicks(1 + (i % 3 * 5_000)));
                var quick = WaitFor.Task(done); // fires at once, from the loop's queue
                var fired = await self.WaitAsync(timeout, external, quick);
                if (ReferenceEquals(fired, external))
                {
                    Assert.Equal(external.Armings, (int)external.Event!); // never a fire of an earlier arming
                }

                outcomes[ReferenceEquals(fired, timeout) ? 0 : ReferenceEquals(fired, external) ? 1 : 2]++;

                // All three stay armed until this wait, which leaves them out: whatever they fire from now on, or
                // fired since, must not reach it.
                var next = WaitFor.Task(done);
                Assert.Same(next, await self.WaitAsync(next));
                Assert.False(timeout.IsArmed);
                Assert.False(external.IsArmed);
            }

            return outcomes;
        });

        var outcomes = (int[])(await tasklet.Completion.WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.Equal(Iterations, outcomes.Sum());
    }

    /// <summary>Fires from the thread pool, soon after each arming, racing with the tasklet; the event is the number
    /// of the arming it fires for (as the built-in conditions do, it fires with the generation captured at arming).</summary>
    private sealed class RacingCondition : WaitCondition
    {
        public int Armings { get; private set; }

        protected internal override void Arm(Tasklet tasklet)
        {
            var arming = ++Armings;
            var generation = Generation;
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                Thread.SpinWait(Random.Shared.Next(1, 2_000));
                FireArmed(generation, arming);
                FireArmed(generation, arming); // coalesces while pending; ignored once disarmed
            }, null);
        }

        protected internal override void Disarm()
        {
        }
    }
}
