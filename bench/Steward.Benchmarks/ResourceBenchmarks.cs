using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.ObjectPool;

namespace Steward.Benchmarks;

/// <summary>
/// A nested <see cref="MultiOpen.Open"/> + dispose against a bare interlocked increment + decrement (the least any
/// reference count costs), and <see cref="Pool{T}.Rent"/> + dispose against <see cref="DefaultObjectPool{T}"/>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ResourceBenchmarks
{
    private const int Operations = 1_000;
    private readonly MultiOpen _resource = MultiOpen.Create("bench", (_, _) => ValueTask.CompletedTask);
    private readonly Pool<Item> _pool = new(() => new Item());
    private readonly DefaultObjectPool<Item> _objectPool = new(new DefaultPooledObjectPolicy<Item>());
    private OpenLease _outer;
    private int _count;

    [GlobalSetup]
    public void Setup() => _outer = _resource.Open(); // the resource is open: every benchmark open is a nested one

    [GlobalCleanup]
    public void Cleanup() => _outer.Dispose();

    [BenchmarkCategory("Nested open + close"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int Interlocked_Increment_Decrement()
    {
        for (var i = 0; i < Operations; i++)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Decrement(ref _count);
        }

        return _count;
    }

    [BenchmarkCategory("Nested open + close"), Benchmark(OperationsPerInvoke = Operations)]
    public int MultiOpen_Open_Dispose()
    {
        for (var i = 0; i < Operations; i++)
        {
            using (_resource.Open())
            {
            }
        }

        return _resource.OpenCount;
    }

    [BenchmarkCategory("Pool rent + return"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public Item DefaultObjectPool_Get_Return()
    {
        Item item = null!;
        for (var i = 0; i < Operations; i++)
        {
            item = _objectPool.Get();
            _objectPool.Return(item);
        }

        return item;
    }

    [BenchmarkCategory("Pool rent + return"), Benchmark(OperationsPerInvoke = Operations)]
    public Item Pool_Rent_Dispose()
    {
        Item item = null!;
        for (var i = 0; i < Operations; i++)
        {
            using var lease = _pool.Rent();
            item = lease.Value;
        }

        return item;
    }

    [BenchmarkCategory("Pool rent + return"), Benchmark(OperationsPerInvoke = Operations)]
    public Item Pool_Get_Return()
    {
        Item item = null!;
        for (var i = 0; i < Operations; i++)
        {
            item = _pool.Get();
            _pool.Return(item);
        }

        return item;
    }

    public sealed class Item;
}
