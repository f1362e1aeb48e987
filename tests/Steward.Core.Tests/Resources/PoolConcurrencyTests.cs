using Steward.Tests.Support;

namespace Steward.Tests.Resources;

[Collection(SerialTestGroup.Name)]
public class PoolConcurrencyTests
{
    [Fact]
    public void Eight_threads_renting_and_returning_never_share_an_item()
    {
        const int Threads = 8, Rents = 100_000;
        var pool = new Pool<PoolTests.Item>(() => new PoolTests.Item(), maxSize: 4);
        var shared = 0;
        using var go = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            go.SignalAndWait();
            for (var i = 0; i < Rents; i++)
            {
                using var lease = pool.Rent();
                if (Interlocked.Exchange(ref lease.Value.InUse, 1) != 0)
                {
                    Interlocked.Increment(ref shared);
                }

                Volatile.Write(ref lease.Value.InUse, 0);
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(2)), "a thread hung"));

        Assert.Equal(0, shared);
        Assert.InRange(pool.Available, 1, 4);
    }

    [Fact]
    public void Leases_returned_while_the_pool_is_disposed_are_each_disposed_once_and_none_is_kept()
    {
        const int Threads = 2, Rounds = 3_000, LeasesPerThread = 64;
        for (var round = 0; round < Rounds; round++)
        {
            var pool = new Pool<PoolTests.Item>(() => new PoolTests.Item(), maxSize: 0);
            var leases = Enumerable.Range(0, Threads * LeasesPerThread).Select(_ => pool.Rent()).ToArray();
            var items = leases.Select(l => l.Value).ToArray();
            using var go = new Barrier(Threads + 1);
            var returners = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                go.SignalAndWait();
                for (var i = 0; i < LeasesPerThread; i++)
                {
                    leases[(t * LeasesPerThread) + i].Dispose();
                }
            })).ToList();
            returners.ForEach(t => t.Start());

            go.SignalAndWait();
            pool.Dispose(); // races with the returns: into the fast slot, into the queue, or straight to disposal
            returners.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a returner hung"));

            Assert.All(items, item => Assert.Equal(1, item.Disposals));
            Assert.Equal(0, pool.Available);
            Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        }
    }
}
