using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.ObjectPool;

namespace Steward.Benchmarks;

[MemoryDiagnoser]
public class PoolProbe
{
    private const int Operations = 1_000;
    private readonly Pool<ResourceBenchmarks.Item> _pool = new(() => new ResourceBenchmarks.Item());
    private readonly DefaultObjectPool<ResourceBenchmarks.Item> _objectPool = new(new DefaultPooledObjectPolicy<ResourceBenchmarks.Item>());

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public ResourceBenchmarks.Item Default()
    {
        ResourceBenchmarks.Item item = null!;
        for (var i = 0; i < Operations; i++) { item = _objectPool.Get(); _objectPool.Return(item); }
        return item;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ResourceBenchmarks.Item GetReturn()
    {
        ResourceBenchmarks.Item item = null!;
        for (var i = 0; i < Operations; i++) { item = _pool.Get(); _pool.Return(item); }
        return item;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public ResourceBenchmarks.Item Lease()
    {
        ResourceBenchmarks.Item item = null!;
        for (var i = 0; i < Operations; i++) { using var lease = _pool.Rent(); item = lease.Value; }
        return item;
    }
}
