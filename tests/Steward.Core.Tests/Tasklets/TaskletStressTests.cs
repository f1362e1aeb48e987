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
}
