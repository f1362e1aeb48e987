using Microsoft.Extensions.Options;
using Steward;
using Steward.Hosting;

namespace WorkerDemo;

/// <summary>A supervised worker: every report interval, summarises the readings stored since its previous report.</summary>
internal sealed partial class ReadingsReporter(
    Opened<ReadingsDatabase> database, IOptionsMonitor<DemoOptions> options, TimeProvider clock, ILogger<ReadingsReporter> logger)
    : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        LogStarted(runState.Name);
        var since = clock.GetUtcNow();
        var reports = 0;
        try
        {
            while (true)
            {
                await runState.ThrowIfCancelledAsync();
                await runState.SleepAsync(options.CurrentValue.ReportInterval);
                await runState.ThrowIfCancelledAsync(); // woken by the stop: no report
                var until = clock.GetUtcNow();
                foreach (var summary in await database.Value.SummarizeAsync(since, runState.Token))
                {
                    LogSummary(summary.Sensor, summary.Count, summary.Mean, summary.Max);
                }

                since = until;
                reports++;
            }
        }
        finally
        {
            LogStopped(runState.Name, reports, runState.RunTime);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} started")]
    private partial void LogStarted(string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Report: {Sensor}: {Count} readings, mean {Mean:F2}, max {Max:F2}")]
    private partial void LogSummary(string sensor, long count, double mean, double max);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} stopped after {Reports} reports in {RunTime}")]
    private partial void LogStopped(string worker, int reports, TimeSpan runTime);
}
