using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Steward.Benchmarks;

/// <summary>
/// RunState's hot paths against <see cref="CancellationToken"/>: the cancelled test, the checkpoint, and the awaited
/// checkpoint while running. Each operation runs 1,000 times per invocation, so sub-nanosecond costs are measurable.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RunStateBenchmarks
{
    private const int Operations = 1_000;
    private readonly CancellationTokenSource _source = new();
    private RunState _runState = null!;
    private CancellationToken _token;

    [GlobalSetup]
    public void Setup()
    {
        _runState = new RunState("bench");
        _runState.Start();
        _token = _source.Token;
    }

    [BenchmarkCategory("IsCancelled"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int Token_IsCancellationRequested()
    {
        var cancelled = 0;
        for (var i = 0; i < Operations; i++)
        {
            cancelled += _token.IsCancellationRequested ? 1 : 0;
        }

        return cancelled;
    }

    [BenchmarkCategory("IsCancelled"), Benchmark(OperationsPerInvoke = Operations)]
    public int RunState_IsCancelled()
    {
        var cancelled = 0;
        for (var i = 0; i < Operations; i++)
        {
            cancelled += _runState.IsCancelled ? 1 : 0;
        }

        return cancelled;
    }

    [BenchmarkCategory("ThrowIfCancelled"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public void Token_ThrowIfCancellationRequested()
    {
        for (var i = 0; i < Operations; i++)
        {
            _token.ThrowIfCancellationRequested();
        }
    }

    [BenchmarkCategory("ThrowIfCancelled"), Benchmark(OperationsPerInvoke = Operations)]
    public void RunState_ThrowIfCancelled()
    {
        for (var i = 0; i < Operations; i++)
        {
            _runState.ThrowIfCancelled();
        }
    }

    [BenchmarkCategory("ThrowIfCancelledAsync"), Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public async Task Await_CompletedTask()
    {
        for (var i = 0; i < Operations; i++)
        {
            await Task.CompletedTask;
        }
    }

    [BenchmarkCategory("ThrowIfCancelledAsync"), Benchmark(OperationsPerInvoke = Operations)]
    public async Task Await_RunState_ThrowIfCancelledAsync()
    {
        for (var i = 0; i < Operations; i++)
        {
            await _runState.ThrowIfCancelledAsync();
        }
    }
}
