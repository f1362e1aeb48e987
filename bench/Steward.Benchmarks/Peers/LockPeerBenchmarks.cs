using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.VisualStudio.Threading;
using StewardLock = Steward.Coordination.AsyncLock;

namespace Steward.Benchmarks.Peers;

/// <summary>
/// <see cref="StewardLock"/> against the async locks users pick instead: Nito.AsyncEx's <c>AsyncLock</c> 5.1.2 and
/// vs-threading's <c>AsyncSemaphore</c> 18.12.1 (each the baseline of its own pair), uncontended and contended.
/// </summary>
/// <remarks>
/// Same guarantees: mutual exclusion, a wait that can be cancelled, a releaser to dispose. Nito's lock and Steward's are
/// fair (first come, first served); vs-threading's semaphore is too (its waiters queue in order). Contended: four flows on
/// the thread pool each take the lock <see cref="PerFlow"/> times around a short critical section, so most acquisitions
/// find it held.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LockPeerBenchmarks
{
    private const int Uncontended = 10_000;
    private const int Flows = 4;
    private const int PerFlow = 2_500;

    private readonly Nito.AsyncEx.AsyncLock _nito = new();
    private readonly AsyncSemaphore _vs = new(1);
    private readonly StewardLock _steward = new();
    private long _counter;

    [GlobalCleanup]
    public void Cleanup() => _vs.Dispose();

    [BenchmarkCategory("Lock uncontended vs Nito"), Benchmark(Baseline = true, OperationsPerInvoke = Uncontended)]
    public async Task<long> Nito_AsyncLock_Uncontended()
    {
        for (var i = 0; i < Uncontended; i++)
        {
            using (await _nito.LockAsync())
            {
                _counter++;
            }
        }

        return _counter;
    }

    [BenchmarkCategory("Lock uncontended vs Nito"), Benchmark(OperationsPerInvoke = Uncontended)]
    public Task<long> Steward_AsyncLock_Uncontended_NitoPair() => UncontendedAsync();

    [BenchmarkCategory("Lock uncontended vs vs-threading"), Benchmark(Baseline = true, OperationsPerInvoke = Uncontended)]
    public async Task<long> VsThreading_AsyncSemaphore_Uncontended()
    {
        for (var i = 0; i < Uncontended; i++)
        {
            using (await _vs.EnterAsync())
            {
                _counter++;
            }
        }

        return _counter;
    }

    [BenchmarkCategory("Lock uncontended vs vs-threading"), Benchmark(OperationsPerInvoke = Uncontended)]
    public Task<long> Steward_AsyncLock_Uncontended_VsPair() => UncontendedAsync();

    private async Task<long> UncontendedAsync()
    {
        for (var i = 0; i < Uncontended; i++)
        {
            using (await _steward.LockAsync())
            {
                _counter++;
            }
        }

        return _counter;
    }

    [BenchmarkCategory("Lock contended vs Nito"), Benchmark(Baseline = true, OperationsPerInvoke = Flows * PerFlow)]
    public Task Nito_AsyncLock_Contended() => Contend(async () =>
    {
        for (var i = 0; i < PerFlow; i++)
        {
            using (await _nito.LockAsync())
            {
                CriticalSection();
            }
        }
    });

    [BenchmarkCategory("Lock contended vs Nito"), Benchmark(OperationsPerInvoke = Flows * PerFlow)]
    public Task Steward_AsyncLock_Contended_NitoPair() => ContendedAsync();

    [BenchmarkCategory("Lock contended vs vs-threading"), Benchmark(Baseline = true, OperationsPerInvoke = Flows * PerFlow)]
    public Task VsThreading_AsyncSemaphore_Contended() => Contend(async () =>
    {
        for (var i = 0; i < PerFlow; i++)
        {
            using (await _vs.EnterAsync())
            {
                CriticalSection();
            }
        }
    });

    [BenchmarkCategory("Lock contended vs vs-threading"), Benchmark(OperationsPerInvoke = Flows * PerFlow)]
    public Task Steward_AsyncLock_Contended_VsPair() => ContendedAsync();

    private Task ContendedAsync() => Contend(async () =>
    {
        for (var i = 0; i < PerFlow; i++)
        {
            using (await _steward.LockAsync())
            {
                CriticalSection();
            }
        }
    });

    private static Task Contend(Func<Task> flow)
    {
        var flows = new Task[Flows];
        for (var f = 0; f < Flows; f++)
        {
            flows[f] = Task.Run(flow);
        }

        return Task.WhenAll(flows);
    }

    // A few dozen nanoseconds of work under the lock, the same on every side.
    private void CriticalSection()
    {
        var value = _counter;
        for (var i = 0; i < 16; i++)
        {
            value = (value * 31) + i;
        }

        _counter = value;
    }
}
