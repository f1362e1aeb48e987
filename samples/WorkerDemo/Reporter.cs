using Microsoft.Extensions.Options;
using Steward;
using Steward.Deferred;
using Steward.Hosting;

namespace WorkerDemo;

/// <summary>
/// A supervised worker: every report interval, asks the ingest manager for a consistent snapshot with
/// <c>SyncAsync(..., timeout)</c> (the call runs in the manager's processing context, between two readings) and logs the
/// throughput, the totals and how the workers are doing (<see cref="IRunStateController"/>).
/// </summary>
internal sealed partial class Reporter(
    IngestManager manager, IRunStateController controller, IOptionsMonitor<DemoOptions> options, TimeProvider clock, ILogger<Reporter> logger)
    : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        var reports = 0;
        (long Accepted, long At)? previous = null;
        try
        {
            while (true)
            {
                await runState.SleepAsync(options.CurrentValue.ReportInterval); // throws at the stop: no report
                await runState.ThrowIfCancelledAsync();                         // waits here while paused
                LogSnapshotRequested();
                IngestSnapshot snapshot;
                try
                {
                    snapshot = await manager.SyncAsync(m => m.Snapshot(), options.CurrentValue.SnapshotTimeout, runState.Token);
                }
                catch (TimeoutException)
                {
                    LogSnapshotLate(options.CurrentValue.SnapshotTimeout); // the writer is paused or busy: it never ran
                    continue;
                }
                catch (ClosedException)
                {
                    break; // the host is stopping: the manager is draining
                }

                var now = clock.GetTimestamp();
                var rate = previous is { } p ? (snapshot.Accepted - p.Accepted) / clock.GetElapsedTime(p.At, now).TotalSeconds : 0;
                previous = (snapshot.Accepted, now);
                var workers = controller.Workers;
                var health = string.Join(", ", workers.GroupBy(w => w.Health).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
                var restarts = workers.Sum(w => w.Restarts);
                var total = snapshot.StoredBefore + snapshot.Stored;
                LogReport(snapshot.Accepted, rate, snapshot.Stored, snapshot.Batched, total, health, restarts);
                reports++;
            }
        }
        catch (OperationCanceledException) when (runState.IsCancelled)
        {
        }
        finally
        {
            LogStopped(runState.Name, reports);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Asking the ingest manager for a snapshot")]
    private partial void LogSnapshotRequested();

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Report: {Accepted} readings accepted ({Rate:F1}/s), {Stored} stored, {Batched} batched; {Total} in the database; workers: {Workers}; {Restarts} restarts")]
    private partial void LogReport(long accepted, double rate, long stored, int batched, long total, string workers, int restarts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report skipped: the ingest manager did not answer within {Timeout} (its writer paused or busy)")]
    private partial void LogSnapshotLate(TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} stopped after {Reports} reports")]
    private partial void LogStopped(string worker, int reports);
}
