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
}
