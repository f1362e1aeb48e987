using Microsoft.Extensions.Options;

namespace WorkerDemo;

/// <summary>With <c>WorkerDemo:RunFor</c> set, stops the demo by itself after that long (for smoke runs).</summary>
internal sealed partial class RunForService(IOptions<DemoOptions> options, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<RunForService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RunFor is not { } runFor)
        {
            return;
        }

        LogRunFor(runFor);
        await Task.Delay(runFor, clock, stoppingToken);
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Running for {RunFor}, then stopping")]
    private partial void LogRunFor(TimeSpan runFor);
}
