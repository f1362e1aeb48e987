using Steward.Tests.Support;

namespace Steward.Tests.Storms;

/// <summary>
/// Opens and closes of one <see cref="MultiOpen"/> from many threads at once, leases and lease-less closes mixed: after
/// balanced work the count is back to zero, every startup had its shutdown and no open site is left.
/// </summary>
[Trait("Category", "Storm")]
[Collection(SerialTestGroup.Name)] // saturates both cores: never beside a timing test
public class MultiOpenStormTests
{
    private const int Rounds = 20;
    private const int Threads = 8;
    private const int Iterations = 2_000;

    [Fact]
    public async Task Leases_and_lease_less_closes_mixed_balance_out()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var resource = new CountingResource();
            using var start = new Barrier(Threads);
            var workers = new Task[Threads];
            for (var t = 0; t < Threads; t++)
            {
                var seed = round * Threads + t;
                workers[t] = Task.Factory.StartNew(async () =>
                {
                    var random = new Random(seed);
                    start.SignalAndWait();
                    for (var i = 0; i < Iterations; i++)
                    {
                        switch (random.Next(4))
                        {
                            case 0:
                                using (resource.Open())
                                {
                                }

                                break;
                            case 1:
                                await using (await resource.OpenAsync())
                                {
                                }

                                break;
                            case 2:
                                resource.Open(); // the lease is discarded: a lease-less close ends this open
                                await resource.CloseAsync();
                                break;
                            default:
                                resource.Open();
                                resource.Close();
                                break;
                        }
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            }

            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.True(resource.OpenCount == 0, $"round {round}: {resource.OpenCount} opens still counted after balanced work");
            Assert.Empty(resource.OpenSites);
            Assert.True(resource.Startups >= 1, $"round {round}: never started");
            Assert.Equal(resource.Startups, resource.Shutdowns);
            Assert.True(resource.IsClosed);
        }
    }

    [Fact]
    public async Task A_live_lease_whose_slot_a_lease_less_close_released_twice_still_closes_its_open()
    {
        // The deterministic shape of the storm's failure: a lease-less close releases a live lease's slot, the slot is
        // opened again and released again by a second lease-less close; the first lease must still close its own open.
        var resource = new CountingResource();
        var holder = resource.Open();      // keeps the resource open throughout
        resource.Open();                   // discarded: the first lease-less close below ends it
        var live = resource.Open();        // a live lease, newest, from the same file and member as the others
        resource.Close();                  // cannot tell the discarded lease from the live one: may release live's slot
        resource.Open();                   // discarded again; may reuse that slot
        resource.Close();                  // may release the same slot a second time
        Assert.Equal(2, resource.OpenCount);

        live.Dispose();
        Assert.Equal(1, resource.OpenCount);
        live.Dispose();                    // a second dispose of the same lease does nothing
        Assert.Equal(1, resource.OpenCount);

        await holder.DisposeAsync();
        Assert.Equal(0, resource.OpenCount);
        Assert.Equal(1, resource.Shutdowns);
        Assert.Empty(resource.OpenSites);
    }

    private sealed class CountingResource() : MultiOpen("storm")
    {
        private int _startups;
        private int _shutdowns;

        public int Startups => Volatile.Read(ref _startups);

        public int Shutdowns => Volatile.Read(ref _shutdowns);

        protected override ValueTask StartupAsync(Steward.Coordination.AsyncExitStack shutdown, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _startups);
            shutdown.Defer(() =>
            {
                Interlocked.Increment(ref _shutdowns);
                return ValueTask.CompletedTask;
            });
            return ValueTask.CompletedTask;
        }
    }
}
