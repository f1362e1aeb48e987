using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Nito.AsyncEx;
using Steward.Tasklets;

namespace Steward.Benchmarks.Peers;

/// <summary>
/// A single-threaded message loop fed from another thread: a <see cref="TaskletLoop"/> tasklet receiving messages posted
/// to it, against Nito.AsyncEx 5.1.2's <c>AsyncContext</c> (the baseline) running an async method that reads a channel.
/// </summary>
/// <remarks>
/// Same work: <see cref="Messages"/> messages posted from a thread-pool thread, taken one at a time, in order, on one
/// thread that runs nothing else, and counted there. Differences: the channel carries ints, the tasklet messages are
/// named <see cref="Message"/>s (one instance, posted again and again, so neither side allocates per message); a tasklet
/// receive matches the name and applies the loop's message rules (accept, defer, discard). The tasklet loop's thread
/// exists for the benchmark's life (as a user's would); <c>AsyncContext.Run</c> borrows the benchmark thread.
/// </remarks>
[MemoryDiagnoser]
public class MessageLoopPeerBenchmarks
{
    private const int Messages = 100_000;
    private static readonly Message s_tick = new("tick");

    private TaskletLoop _loop = null!;

    [GlobalSetup]
    public void Setup() => _loop = new TaskletLoop("bench");

    [GlobalCleanup]
    public void Cleanup() => _loop.StopAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public int Nito_AsyncContext_Channel() => AsyncContext.Run(async () =>
    {
        var channel = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < Messages; i++)
            {
                channel.Writer.TryWrite(i);
            }
        });

        var count = 0;
        while (count < Messages)
        {
            await channel.Reader.ReadAsync();
            count++;
        }

        await producer;
        return count;
    });

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task<int> Steward_TaskletLoop_Post()
    {
        var consumer = _loop.Spawn<int>(async self =>
        {
            var count = 0;
            while (count < Messages)
            {
                await self.ReceiveAsync("tick");
                count++;
            }

            return count;
        });

        await Task.Run(() =>
        {
            for (var i = 0; i < Messages; i++)
            {
                consumer.Post(s_tick);
            }
        });

        return (int)(await consumer.Completion)!;
    }
}
