using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Steward.Coordination;
using Steward.Nurseries;

namespace Steward.Benchmarks;

/// <summary>
/// An <see cref="Accessor{T}"/> hand-off (the writer waits for a reader, the reader gets the value) against the same
/// hand-off built from two <see cref="SemaphoreSlim"/>s; and a <see cref="TaskNursery"/> of 100,000 children plus its
/// close against <c>Task.Run</c> + <c>Task.WhenAll</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CoordinationBenchmarks
{
    private const int HandOffs = 10_000;
    private const int Children = 100_000;

    [BenchmarkCategory("Accessor hand-off"), Benchmark(Baseline = true, OperationsPerInvoke = HandOffs)]
    public async Task<long> SemaphoreSlim_HandOff()
    {
        using var ready = new SemaphoreSlim(0);
        using var taken = new SemaphoreSlim(0);
        var slot = 0;
        var reader = Task.Run(async () =>
        {
            long sum = 0;
            for (var i = 0; i < HandOffs; i++)
            {
                await ready.WaitAsync();
                sum += slot;
                taken.Release();
            }

            return sum;
        });

        for (var i = 0; i < HandOffs; i++)
        {
            slot = i;
            ready.Release();
            await taken.WaitAsync();
        }

        return await reader;
    }

    [BenchmarkCategory("Accessor hand-off"), Benchmark(OperationsPerInvoke = HandOffs)]
    public async Task<long> Accessor_SetWaitForRead_Get()
    {
        var accessor = new Accessor<int>();
        var reader = Task.Run(async () =>
        {
            long sum = 0;
            for (var i = 0; i < HandOffs; i++)
            {
                sum += await accessor.GetAsync();
            }

            return sum;
        });

        for (var i = 0; i < HandOffs; i++)
        {
            await accessor.SetAsync(i, waitForRead: true);
        }

        return await reader;
    }

    [BenchmarkCategory("100k children + close"), Benchmark(Baseline = true)]
    public async Task TaskRun_WhenAll()
    {
        var tasks = new Task[Children];
        for (var i = 0; i < Children; i++)
        {
            tasks[i] = Task.Run(static () => Task.CompletedTask);
        }

        await Task.WhenAll(tasks);
    }

    [BenchmarkCategory("100k children + close"), Benchmark]
    public async Task TaskNursery_Start_Close()
    {
        var nursery = new TaskNursery();
        for (var i = 0; i < Children; i++)
        {
            _ = nursery.Start(static _ => Task.CompletedTask);
        }

        await nursery.WhenAllAsync(); // let them finish on their own (as WhenAll does), then close
        await nursery.CloseAsync();
    }
}
