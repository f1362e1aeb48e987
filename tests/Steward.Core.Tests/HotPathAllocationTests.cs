namespace Steward.Tests;

/// <summary>
/// The engineering rule: the hot paths allocate nothing. Allocation counts are deterministic (unlike
/// timings), so they are asserted here; the speed targets live in the benchmarks.
/// </summary>
public class HotPathAllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void RunState_checkpoints_and_IsCancelled_allocate_nothing_while_running()
    {
        var runState = new RunState();
        runState.Start();
        Checkpoints(runState, 10); // warm up (JIT, tiering)

        var before = GC.GetAllocatedBytesForCurrentThread();
        var passed = Checkpoints(runState, Iterations);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Iterations, passed);
    }

    [Fact]
    public void Nested_MultiOpen_open_and_close_allocate_nothing()
    {
        var resource = MultiOpen.Create("hot", (_, _) => ValueTask.CompletedTask);
        using var outer = resource.Open();
        OpenClose(resource, 10);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var completed = OpenClose(resource, Iterations);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Iterations, completed);
        Assert.Equal(1, resource.OpenCount);
    }

    [Fact]
    public void Pool_rent_and_return_allocate_nothing_once_items_exist()
    {
        var pool = new Pool<object>(() => new object());
        RentReturn(pool, Iterations); // warm up: past tiered compilation's promotions, which allocate once on this thread

        var before = GC.GetAllocatedBytesForCurrentThread();
        RentReturn(pool, Iterations);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1, pool.Created);
    }

    private static void RentReturn(Pool<object> pool, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var lease = pool.Rent();
            GC.KeepAlive(lease.Value);
        }
    }

    // No async methods here: in Debug builds the compiler makes async state machines classes, which would allocate.
    // The awaitables are checked for synchronous completion instead, which is what makes awaiting them free.
    private static int Checkpoints(RunState runState, int count)
    {
        var passed = 0;
        for (var i = 0; i < count; i++)
        {
            Assert.False(runState.IsCancelled);
            runState.ThrowIfCancelled();
            runState.WaitIfPaused();
            if (CompletedSynchronously(runState.ThrowIfCancelledAsync()) && CompletedSynchronously(runState.WaitIfPausedAsync()))
            {
                passed++;
            }
        }

        return passed;
    }

    private static int OpenClose(MultiOpen resource, int count)
    {
        var completed = 0;
        for (var i = 0; i < count; i++)
        {
            using (resource.Open())
            {
            }

            if (TryGetSynchronously(resource.OpenAsync(), out var lease) && CompletedSynchronously(lease.DisposeAsync()))
            {
                completed++;
            }
        }

        return completed;
    }

    private static bool CompletedSynchronously(ValueTask pending) => pending.IsCompletedSuccessfully;

    private static bool TryGetSynchronously(ValueTask<OpenLease> pending, out OpenLease lease)
    {
        lease = pending.IsCompletedSuccessfully ? pending.Result : default;
        return pending.IsCompletedSuccessfully;
    }
}
