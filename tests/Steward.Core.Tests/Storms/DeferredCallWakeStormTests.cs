using Steward.Deferred;
using Steward.Tests.Support;

namespace Steward.Tests.Storms;

/// <summary>
/// Producers queuing one call at a time into an idle <see cref="DeferredCalls{T}.ProcessAsync"/> loop, so that nearly
/// every call races the loop going to sleep: a lost wake-up leaves a call queued with nobody processing it, and its
/// producer waiting for ever. (The producer's side of that handshake is the queue's own interlocked reservation.)
/// </summary>
[Trait("Category", "Storm")]
[Collection(SerialTestGroup.Name)] // saturates both cores: never beside a timing test
public class DeferredCallWakeStormTests
{
    private const int Producers = 3;
    private const int CallsEach = 20_000;

    [Fact]
    public async Task A_call_queued_as_the_processor_goes_idle_always_wakes_it()
    {
        // One handler per producer: another producer's wake-up must not mask a lost one.
        var counts = new int[Producers][];
        var handlers = new DeferredCalls<int[]>[Producers];
        var loops = new Task[Producers];
        for (var p = 0; p < Producers; p++)
        {
            counts[p] = new int[1];
            handlers[p] = new DeferredCalls<int[]>(counts[p]);
            loops[p] = handlers[p].ProcessAsync();
        }

        var stuck = -1;
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (var i = 0; i < CallsEach; i++)
            {
                handlers[p].Oneway(static c => c[0]++, "Bump");

                // Wait for this very call to run before queuing the next, so the loop goes idle between calls.
                if (!SpinWait.SpinUntil(() => Volatile.Read(ref counts[p][0]) == i + 1, TimeSpan.FromSeconds(30)))
                {
                    Interlocked.CompareExchange(ref stuck, i, -1);
                    return;
                }
            }
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());

        Assert.Equal(-1, stuck); // else a queued call waited 30 s for a processor that slept through its wake-up
        Assert.All(counts, c => Assert.Equal(CallsEach, c[0]));
        foreach (var handler in handlers)
        {
            await handler.DisposeAsync();
        }

        await Task.WhenAll(loops);
    }
}
