using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Steward.Deferred;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests;

public class DeferredHostingTests
{
    [Fact]
    public async Task Calls_are_processed_one_at_a_time_for_the_host_lifetime_and_drained_at_stop()
    {
        await using var host = TestHost.Build(b => b.AddDeferredCalls<Ledger>());
        var calls = host.Services.GetRequiredService<DeferredCalls<Ledger>>();
        var ledger = host.Services.GetRequiredService<Ledger>();
        Assert.Same(ledger, calls.Target);
        await host.StartAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => calls.SyncAsync(l => l.Add(i)))));
        Assert.Equal(50, results.Length);
        Assert.Equal(Enumerable.Range(0, 50).Sum(), ledger.Total);
        Assert.Equal(0, ledger.Overlaps);

        // Queued just before the stop: drained, not lost.
        ledger.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(calls.Oneway(l => l.Hold()));
        for (var i = 0; i < 10; i++)
        {
            Assert.True(calls.Oneway(l => l.Add(1)));
        }

        var stopping = host.StopAsync();
        ledger.Gate.SetResult();
        await stopping;

        Assert.Equal(Enumerable.Range(0, 50).Sum() + 10, ledger.Total);
        Assert.True(calls.IsClosed);
        Assert.False(calls.Oneway(l => l.Add(1))); // after the stop: refused, not lost silently
    }

    [Fact]
    public async Task A_DeferredCallHandler_is_its_own_queue()
    {
        await using var host = TestHost.Build(b => b.AddDeferredCalls<Manager>());
        var manager = host.Services.GetRequiredService<Manager>();
        Assert.Same(manager, host.Services.GetRequiredService<DeferredCalls<Manager>>());
        await host.StartAsync();

        Assert.Equal(3, await manager.SyncAsync(m => m.Bump()));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_worker_stopping_with_the_host_can_still_flush_through_the_deferred_calls()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlushingWorker>("Flusher").AddDeferredCalls<Ledger>(),
            services: s => s.AddSingleton(probe));
        var ledger = host.Services.GetRequiredService<Ledger>();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        host.Lifetime.StopApplication(); // the real order: ApplicationStopping first, as a signal does
        await host.StopAsync(); // workers stop before the queue closes

        Assert.Equal(100, ledger.Total);
        var status = Assert.Single(host.Controller.Workers);
        Assert.Null(status.LastError);
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
    }

    internal sealed class FlushingWorker(DeferredCalls<Ledger> calls, Probe probe) : IRunStateWorker
    {
        public async Task ExecuteAsync(RunState runState)
        {
            probe.Running.TrySetResult();
            try
            {
                await runState.SleepAsync(TimeSpan.FromHours(1));
            }
            catch (OperationCanceledException) when (runState.IsCancelled)
            {
                // the host is stopping: wind down
            }

            await Task.Delay(200, CancellationToken.None); // finishing the batch in hand takes a while
            await calls.SyncAsync(l => l.Add(100)); // the last batch, flushed on the way out
        }
    }

    internal sealed class Ledger
    {
        private int _running;

        public int Total { get; private set; }

        public int Overlaps { get; private set; }

        public TaskCompletionSource? Gate { get; set; }

        public int Add(int amount)
        {
            if (Interlocked.Increment(ref _running) != 1)
            {
                Overlaps++;
            }

            Total += amount;
            Interlocked.Decrement(ref _running);
            return Total;
        }

        public void Hold() => Gate?.Task.Wait(TimeSpan.FromSeconds(30));
    }

    internal sealed class Manager(ILogger<Manager> logger) : DeferredCallHandler<Manager>(logger: logger)
    {
        private int _count = 2;

        public int Bump() => ++_count;
    }
}
