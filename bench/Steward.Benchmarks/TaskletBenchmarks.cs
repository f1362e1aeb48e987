using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Steward.Tasklets;

namespace Steward.Benchmarks;

/// <summary>
/// A message ping-pong between two tasklets on one loop against two async methods ping-ponging through channels on
/// one thread. The tasklets re-send the same two messages (the channels carry ints), so neither side allocates per
/// round trip.
/// </summary>
[MemoryDiagnoser]
public class TaskletBenchmarks
{
    private const int RoundTrips = 10_000;

    private TaskletLoop _loop = null!;
    private SingleThreadContext _thread = null!;

    [GlobalSetup]
    public void Setup()
    {
        _loop = new TaskletLoop("bench");
        _thread = new SingleThreadContext();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _loop.StopAsync().AsTask().GetAwaiter().GetResult();
        _thread.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public Task<int> Channel_PingPong_OneThread() => _thread.Run(async () =>
    {
        var pings = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var pongs = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var echo = Echo();
        var sum = 0;
        for (var i = 0; i < RoundTrips; i++)
        {
            pings.Writer.TryWrite(i);
            sum += await pongs.Reader.ReadAsync();
        }

        pings.Writer.Complete();
        await echo;
        return sum;

        async Task Echo()
        {
            while (await pings.Reader.WaitToReadAsync())
            {
                while (pings.Reader.TryRead(out var value))
                {
                    pongs.Writer.TryWrite(value);
                }
            }
        }
    });

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task<object?> Tasklet_PingPong()
    {
        var ping = new Message("ping");
        var pong = new Message("pong");
        var echo = _loop.Spawn(async self =>
        {
            var accept = WaitFor.Messages(accept: ["ping", "quit"]);
            while (true)
            {
                var request = (Message)await self.WaitAsync(accept);
                if (request.Name == "quit")
                {
                    return;
                }

                pong.Dest = request.Sender;
                await self.SendAsync(pong);
            }
        });
        var pinger = _loop.Spawn(async self =>
        {
            var accept = WaitFor.Messages(accept: ["pong"]);
            ping.Dest = echo;
            for (var i = 0; i < RoundTrips; i++)
            {
                await self.SendAsync(ping);
                await self.WaitAsync(accept);
            }

            await self.SendAsync(new Message("quit") { Dest = echo });
            return RoundTrips;
        });

        await echo.Completion;
        return await pinger.Completion;
    }
}
