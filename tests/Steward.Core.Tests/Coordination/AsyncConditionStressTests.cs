using Steward.Coordination;
using Steward.Tests.Support;

namespace Steward.Tests.Coordination;

[Collection(SerialTestGroup.Name)]
public class AsyncConditionStressTests
{
    [Fact]
    public async Task Eight_producers_and_eight_consumers_lose_no_wake_up_over_100000_items()
    {
        const int Producers = 8, Consumers = 8, Items = 100_000;
        var condition = new AsyncCondition();
        var queue = new Queue<int>();
        var produced = 0;
        var consumed = new int[Items];
        var consumedCount = 0;

        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < Items; i += Producers)
            {
                using (await condition.LockAsync())
                {
                    queue.Enqueue(i);
                    produced++;
                    condition.Notify(); // exactly one: a lost wake-up would leave an item and a consumer stuck
                }
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, Consumers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int item;
                using (await condition.LockAsync())
                {
                    await condition.WaitForAsync(() => queue.Count > 0 || consumedCount == Items);
                    if (queue.Count == 0)
                    {
                        return;
                    }

                    item = queue.Dequeue();
                    if (++consumedCount == Items)
                    {
                        condition.NotifyAll(); // let the other consumers see the end
                    }
                }

                Interlocked.Increment(ref consumed[item]);
            }
        })).ToArray();

        await Task.WhenAll(producers.Concat(consumers)).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(Items, produced);
        Assert.Equal(Items, consumedCount);
        Assert.All(consumed, c => Assert.Equal(1, c));
    }

    [Fact]
    public async Task A_notification_racing_a_cancellation_is_passed_on_not_lost()
    {
        for (var round = 0; round < 500; round++)
        {
            var condition = new AsyncCondition();
            using var cts = new CancellationTokenSource();
            async Task<bool> Wait(CancellationToken token)
            {
                using (await condition.LockAsync(CancellationToken.None))
                {
                    try
                    {
                        await condition.WaitAsync(token);
                        return true;
                    }
                    catch (OperationCanceledException)
                    {
                        return false;
                    }
                }
            }

            var cancellable = Wait(cts.Token);
            await AsyncConditionTests.WaitUntilAsync(() => condition.WaiterCount == 1);
            var patient = Wait(CancellationToken.None);
            await AsyncConditionTests.WaitUntilAsync(() => condition.WaiterCount == 2);

            // One notification, and the first waiter cancelled at the same moment: someone must still wake.
            var notify = Task.Run(async () =>
            {
                using (await condition.LockAsync())
                {
                    condition.Notify();
                }
            });
            cts.Cancel();
            await notify;

            if (!await cancellable.WaitAsync(TimeSpan.FromSeconds(30)))
            {
                // Cancelled: if the notification had reached it, it must have been passed on to the patient waiter.
                Assert.True(await patient.WaitAsync(TimeSpan.FromSeconds(30)), $"round {round}: the notification was lost");
            }
            else
            {
                // The first waiter took the notification; release the second one.
                using (await condition.LockAsync())
                {
                    condition.Notify();
                }

                Assert.True(await patient.WaitAsync(TimeSpan.FromSeconds(30)));
            }
        }
    }
}
