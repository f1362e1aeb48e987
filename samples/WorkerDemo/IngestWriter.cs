using Microsoft.Extensions.Options;
using Steward;
using Steward.Hosting;

namespace WorkerDemo;

/// <summary>
/// The ingest manager's owner: runs its queued calls (the readings, the reporter's snapshots) with <c>ProcessPending()</c>,
/// then stores the batch in one transaction, every flush interval. Pausing it (SIGUSR1) pauses the writes; the
/// monitors' readings wait in the queue meanwhile.
/// </summary>
internal sealed partial class IngestWriter(IngestManager manager, IOptionsMonitor<DemoOptions> options, ILogger<IngestWriter> logger)
    : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        LogStarted(runState.Name);
        long flushes = 0, stored = 0;
        try
        {
            while (!runState.IsCancelled)
            {
                await runState.WaitIfPausedAsync();
                manager.ProcessPending();                  // the queued calls, in order, one at a time, here
                stored += await manager.FlushAsync();      // then the critical section: one transaction
                flushes++;
                await runState.SleepAsync(options.CurrentValue.FlushInterval);
            }
        }
        catch (OperationCanceledException) when (runState.IsCancelled)
        {
            // Stopping: what is still queued is drained, and stored, when the host closes the manager.
        }
        finally
        {
            LogStopped(runState.Name, stored, flushes);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} started: storing readings every flush interval")]
    private partial void LogStarted(string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} stopped after storing {Stored} readings in {Flushes} flushes")]
    private partial void LogStopped(string worker, long stored, long flushes);
}
