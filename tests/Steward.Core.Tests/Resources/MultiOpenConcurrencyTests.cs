using Steward.Tests.Support;

namespace Steward.Tests.Resources;

[Collection(SerialTestGroup.Name)]
public class MultiOpenConcurrencyTests
{
    [Fact]
    public void Eight_threads_of_50000_open_close_pairs_balance_startups_and_shutdowns_without_overlap()
    {
        const int Threads = 8, Pairs = 50_000;
        var resource = new RecordingResource("stress");
        using var go = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            go.SignalAndWait();
            for (var i = 0; i < Pairs; i++)
            {
                using var lease = resource.Open();
                if ((i & 7) == t % 8)
                {
                    using var nested = resource.Open(); // nested opens on the lock-free path
                }
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a thread hung"));

        Assert.Equal(0, resource.OpenCount);
        Assert.False(resource.IsOpen);
        Assert.True(resource.Startups >= 1);
        Assert.Equal(resource.Startups, resource.Shutdowns);
        Assert.Equal(0, resource.Overlaps);
        Assert.Empty(resource.OpenSites);
    }

    [Fact]
    public async Task Many_async_openers_racing_a_slow_startup_all_see_one_startup()
    {
        for (var round = 0; round < 50; round++)
        {
            var resource = new RecordingResource { StartupGate = new(TaskCreationOptions.RunContinuationsAsynchronously) };
            var openers = Enumerable.Range(0, 32).Select(_ => Task.Run(async () => await resource.OpenAsync())).ToArray();
            await resource.StartupBegan.Task.WaitAsync(TimeSpan.FromSeconds(30));
            resource.StartupGate.SetResult();
            var leases = await Task.WhenAll(openers).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(1, resource.Startups);
            Assert.Equal(32, resource.OpenCount);
            Assert.Equal(32, resource.OpenSites.Count);
            await Task.WhenAll(leases.Select(l => Task.Run(async () => await l.DisposeAsync())));
            Assert.Equal(1, resource.Shutdowns);
            Assert.Equal(0, resource.OpenCount);
        }
    }

    [Fact]
    public async Task DisposeAsync_racing_lease_disposals_shuts_down_exactly_once_and_throws_nothing()
    {
        for (var round = 0; round < 200; round++)
        {
            var resource = new RecordingResource();
            var leases = Enumerable.Range(0, 16).Select(_ => resource.Open()).ToArray();
            var disposals = leases.Select(l => Task.Run(l.Dispose)).Append(Task.Run(async () => await resource.DisposeAsync()));

            await Task.WhenAll(disposals).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(1, resource.Shutdowns);
            Assert.Equal(0, resource.OpenCount);
            Assert.Equal(0, resource.Overlaps);
        }
    }
}
