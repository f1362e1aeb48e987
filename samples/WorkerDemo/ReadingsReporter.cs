using Microsoft.Extensions.Options;
using Steward;

namespace WorkerDemo;

/// <summary>Every report interval, summarises the readings stored since the previous report.</summary>
internal sealed partial class ReadingsReporter(
    ReadingsDatabase database, IOptions<DemoOptions> options, TimeProvider clock, ILogger<ReadingsReporter> logger)
    : RunStateLoop(nameof(ReadingsReporter), database, logger)
{
    private readonly DemoOptions _options = options.Value;
    private DateTimeOffset? _since;

    protected override async Task IterateAsync(RunState runState, CancellationToken stoppingToken)
    {
        _since ??= clock.GetUtcNow();
        await runState.SleepAsync(_options.ReportInterval, stoppingToken);
        if (runState.IsCancelled)
        {
            return; // woken by the stop: the next checkpoint ends the loop
        }

        var until = clock.GetUtcNow();
        foreach (var summary in await Database.SummarizeAsync(_since.Value, stoppingToken))
        {
            LogSummary(summary.Sensor, summary.Count, summary.Mean, summary.Max);
        }

        _since = until;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Report: {Sensor}: {Count} readings, mean {Mean:F2}, max {Max:F2}")]
    private partial void LogSummary(string sensor, long count, double mean, double max);
}
