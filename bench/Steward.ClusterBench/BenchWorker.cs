using Steward.Hosting;

namespace Steward.ClusterBench;

/// <summary>A clustered worker that says when it starts leading (the fail-over driver reads the line) and idles.</summary>
internal sealed class BenchWorker(ClusterLease lease) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        if (Environment.GetEnvironmentVariable("STEWARD_BENCH_SAY") == "1")
        {
            Console.WriteLine($"leader {lease.Name}/{lease.Partition} pid {Environment.ProcessId}");
            Console.Out.Flush();
        }

        await runState.SleepAsync(Timeout.InfiniteTimeSpan);
    }
}
