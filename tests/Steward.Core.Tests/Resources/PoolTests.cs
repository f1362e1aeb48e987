namespace Steward.Tests.Resources;

public class PoolTests
{
    [Fact]
    public void MaxSize_one_with_two_nested_rents_creates_two_keeps_one_and_reuses_it()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 1);
        Item first, second;
        using (var a = pool.Rent())
        {
            first = a.Value;
            using var b = pool.Rent();
            second = b.Value;
        }

        Assert.Equal(2, pool.Created);
        Assert.Equal(1, pool.Available);
        Assert.Equal(1, first.Disposals + second.Disposals); // the one that did not fit was disposed

        using var c = pool.Rent();
        Assert.Equal(2, pool.Created);
        Assert.Contains(c.Value, new[] { first, second });
        Assert.Equal(0, c.Value.Disposals);
    }

    [Fact]
    public void MaxSize_zero_keeps_every_returned_item()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 0);
        var items = Enumerable.Range(0, 50).Select(_ => pool.Get()).ToList();
        items.ForEach(pool.Return);

        Assert.Equal(50, pool.Available);
        Assert.All(items, i => Assert.Equal(0, i.Disposals));
        Assert.Equal(50, pool.Created);
    }

    [Fact]
    public void An_item_returned_to_a_full_pool_is_disposed()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 2);
        var items = Enumerable.Range(0, 3).Select(_ => pool.Get()).ToList();
        items.ForEach(pool.Return);

        Assert.Equal(2, pool.Available);
        Assert.Equal(0, items[0].Disposals);
        Assert.Equal(0, items[1].Disposals);
        Assert.Equal(1, items[2].Disposals);
    }

    [Fact]
    public void Discard_drops_and_disposes_a_broken_item_in_a_using_declaration()
    {
        var pool = new Pool<Item>(() => new Item());
        Item broken;
        {
            using var lease = pool.Rent();
            broken = lease.Value;
            lease.Discard(); // must act on the using variable itself, not on a copy
            Assert.Throws<ObjectDisposedException>(() => lease.Value);
        }

        Assert.Equal(1, broken.Disposals);
        Assert.Equal(0, pool.Available);
        using var next = pool.Rent();
        Assert.NotSame(broken, next.Value);
    }

    [Fact]
    public void Disposing_a_lease_twice_returns_the_item_once()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 0);
        var lease = pool.Rent();
        lease.Dispose();
        lease.Dispose();
        Assert.Equal(1, pool.Available);
    }

    [Fact]
    public void Dispose_disposes_kept_items_and_refuses_later_rents()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 0);
        var kept = pool.Get();
        var outstanding = pool.Get();
        pool.Return(kept);

        pool.Dispose();

        Assert.Equal(1, kept.Disposals);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        pool.Return(outstanding); // returned after dispose: disposed, not kept
        Assert.Equal(1, outstanding.Disposals);
        Assert.Equal(0, pool.Available);
    }

    [Fact]
    public void Leases_disposed_after_the_pool_dispose_their_items()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 0);
        var first = pool.Rent();
        var second = pool.Rent();
        Item a = first.Value, b = second.Value;

        pool.Dispose();
        first.Dispose();  // the fast slot is closed by the dispose: the item is disposed, not kept
        second.Dispose(); // likewise
        pool.Dispose();   // idempotent: nothing is disposed twice

        Assert.Equal(1, a.Disposals);
        Assert.Equal(1, b.Disposals);
        Assert.Equal(0, pool.Available);
    }

    [Fact]
    public void A_lease_returned_to_a_full_fast_slot_goes_to_the_queue()
    {
        var pool = new Pool<Item>(() => new Item(), maxSize: 3);
        var leases = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToArray();
        var items = leases.Select(l => l.Value).ToArray();
        for (var i = 0; i < leases.Length; i++)
        {
            leases[i].Dispose();
        }

        Assert.Equal(3, pool.Available); // the fast slot, two queued, and the fourth dropped
        Assert.Equal(1, items.Sum(i => i.Disposals));
        Assert.Equal(1, items[3].Disposals);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => new Pool<Item>(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool<Item>(() => new Item(), -1));
        var pool = new Pool<Item>(() => null!);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Get());
        Assert.Contains("Pool<Item>", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => pool.Return(null!));
    }

    internal sealed class Item : IDisposable
    {
        public int Disposals;
        public int InUse;

        public void Dispose() => Interlocked.Increment(ref Disposals);
    }
}
