using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Steward.Deferred;

namespace Steward.Benchmarks;

/// <summary>
/// Deferred calls against the hand-rolled equivalent: 1M oneways processed by a consumer loop against a
/// <c>Channel&lt;Action&lt;T&gt;&gt;</c> single-reader loop (throughput: the time per call, producing and processing),
/// and a sync round trip against a channel of (call, <see cref="TaskCompletionSource{TResult}"/>) pairs.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class DeferredCallBenchmarks
{
    private const int Oneways = 1_000_000;
    private const int RoundTrips = 1_000;

    private static readonly Action<Counter> s_increment = static c => c.Increment();
    private static readonly Func<Counter, int> s_read = static c => c.Value;

    private Counter _counter = null!;
    private DeferredCalls<Counter> _calls = null!;
    private Task _processing = null!;
    private Channel<(Func<Counter, int> Call, TaskCompletionSource<int> Reply)> _requests = null!;
    private Task _serving = null!;

    [GlobalSetup(Targets = [nameof(DeferredCalls_SyncAsync), nameof(Channel_Tcs_RoundTrip)])]
    public void SetupRoundTrips()
    {
        _counter = new Counter();
        _calls = new DeferredCalls<Counter>(_counter);
        _processing = _calls.ProcessAsync();
        _requests = Channel.CreateUnbounded<(Func<Counter, int>, TaskCompletionSource<int>)>(new UnboundedChannelOptions { SingleReader = true });
        _serving = Task.Run(async () =>
        {
            var reader = _requests.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var request))
                {
                    request.Reply.SetResult(request.Call(_counter));
                }
            }
        });
    }

    [GlobalCleanup(Targets = [nameof(DeferredCalls_SyncAsync), nameof(Channel_Tcs_RoundTrip)])]
    public void CleanupRoundTrips()
    {
        _calls.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _requests.Writer.Complete();
        Task.WaitAll(_processing, _serving);
    }

    [BenchmarkCategory("1M oneways + processing"), Benchmark(Baseline = true, OperationsPerInvoke = Oneways)]
    public async Task<int> Channel_SingleReaderLoop()
    {
        var counter = new Counter();
        var channel = Channel.CreateUnbounded<Action<Counter>>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = Task.Run(async () =>
        {
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var call))
                {
                    call(counter);
                }
            }
        });

        for (var i = 0; i < Oneways; i++)
        {
            channel.Writer.TryWrite(s_increment);
        }

        channel.Writer.Complete();
        await consumer;
        return counter.Value;
    }

    [BenchmarkCategory("1M oneways + processing"), Benchmark(OperationsPerInvoke = Oneways)]
    public async Task<int> DeferredCalls_Oneway_ProcessAsync()
    {
        var counter = new Counter();
        var calls = new DeferredCalls<Counter>(counter);
        var consumer = calls.ProcessAsync();
        for (var i = 0; i < Oneways; i++)
        {
            calls.Oneway(s_increment, "Increment");
        }

        await calls.DisposeAsync(); // drains what is still queued, then ends the loop
        await consumer;
        return counter.Value;
    }

    [BenchmarkCategory("Sync round trip"), Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public async Task<int> Channel_Tcs_RoundTrip()
    {
        var sum = 0;
        for (var i = 0; i < RoundTrips; i++)
        {
            var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _requests.Writer.TryWrite((s_read, reply));
            sum += await reply.Task;
        }

        return sum;
    }

    [BenchmarkCategory("Sync round trip"), Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task<int> DeferredCalls_SyncAsync()
    {
        var sum = 0;
        for (var i = 0; i < RoundTrips; i++)
        {
            sum += await _calls.SyncAsync(s_read, name: "Read");
        }

        return sum;
    }

    public sealed class Counter
    {
        public int Value { get; private set; }

        public void Increment() => Value++;
    }
}
