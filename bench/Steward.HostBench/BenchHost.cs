using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Hosting;

namespace Steward.HostBench;

/// <summary>
/// The measured host: N workers doing the same loop (a checkpoint, a counter, a 100 ms sleep), either as Steward
/// workers (one registration, N instances) or as N plain <see cref="BackgroundService"/>s. Prints "READY &lt;ms&gt;
/// &lt;bytes&gt;" at ApplicationStarted (milliseconds since Main began, bytes allocated so far), "STOPPING &lt;bytes&gt;" at
/// ApplicationStopping (on SIGTERM, after the idle time) and exits; after the host has stopped
/// and been disposed, the very last thing it does is print "PEAK &lt;KiB&gt;", its resident high-water mark (VmHWM)
/// over its whole life, start and stop included.
/// </summary>
internal static class BenchHost
{
    public static async Task<int> RunAsync(string mode, int workers)
    {
        var clock = Stopwatch.StartNew();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = false, Args = [] });
        builder.Logging.ClearProviders(); // logging would dominate; both modes are measured without it
        if (mode == "steward")
        {
            builder.Services.AddRunState(o => o.Workers["Loop"] = new WorkerOptions { Instances = workers })
                .AddWorker<StewardLoop>("Loop");
        }
        else
        {
            for (var i = 0; i < workers; i++)
            {
                builder.Services.AddSingleton<IHostedService>(_ => new PlainLoop());
            }
        }

        int exitCode;
        using (var host = builder.Build())
        {
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
            {
                Console.WriteLine($"READY {clock.Elapsed.TotalMilliseconds:F1} {GC.GetTotalAllocatedBytes()}");
                Console.Out.Flush();
            });
            lifetime.ApplicationStopping.Register(() =>
            {
                if (Environment.GetEnvironmentVariable("STEWARD_BENCH_HEAP") == "1")
                {
                    // Diagnosis only (it forces a full collection, so it changes what the stop measures): the live heap.
                    Console.Error.WriteLine($"HEAP {mode} {workers} {GC.GetTotalMemory(forceFullCollection: true)}");
                }

                if (Environment.GetEnvironmentVariable("STEWARD_BENCH_GC") == "1")
                {
                    Console.Error.WriteLine($"GC {mode} {workers} at stopping: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}, pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms");
                }

                Console.WriteLine($"STOPPING {GC.GetTotalAllocatedBytes()}");
                Console.Out.Flush();
            });
            exitCode = mode == "steward" ? await host.RunStewardAsync() : await RunPlainAsync(host);
        }

        if (Environment.GetEnvironmentVariable("STEWARD_BENCH_GC") == "1")
        {
            Console.Error.WriteLine($"GC {mode} {workers}: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}, pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms, allocated {GC.GetTotalAllocatedBytes() / 1048576.0:F1} MiB");
        }

        Console.WriteLine($"PEAK {HighWaterMarkKiB()}");
        Console.Out.Flush();
        return exitCode;
    }

    /// <summary>This process's resident high-water mark so far (VmHWM in /proc/self/status), in KiB.</summary>
    private static long HighWaterMarkKiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No VmHWM line in /proc/self/status.");
    }

    private static async Task<int> RunPlainAsync(IHost host)
    {
        await host.RunAsync();
        return 0;
    }

    private sealed class StewardLoop : IRunStateWorker
    {
        private long _count;

        public async Task ExecuteAsync(RunState runState)
        {
            while (true)
            {
                await runState.ThrowIfCancelledAsync();
                _count++;
                await runState.SleepAsync(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private sealed class PlainLoop : BackgroundService
    {
        private long _count;

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                while (true)
                {
                    stoppingToken.ThrowIfCancellationRequested();
                    _count++;
                    await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }
}
