using Microsoft.Extensions.Options;
using Steward;

namespace WorkerDemo;

/// <summary>
/// Holds the host's open of the database from start to stop: registered before the loops, it starts first (a
/// database that cannot open fails start-up at once) and stops last, so the final close happens exactly once,
/// after every loop has let go.
/// </summary>
internal sealed partial class DatabaseLifetime(
    ReadingsDatabase database, IOptions<DemoOptions> options, IHostApplicationLifetime lifetime, ILogger<DatabaseLifetime> logger)
    : IHostedService, IDisposable
{
    private OpenLease _lease;
    private CancellationTokenSource? _runFor;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lease = await database.OpenAsync(cancellationToken);
        if (options.Value.RunFor is { } runFor)
        {
            LogRunFor(runFor);
            _runFor = new CancellationTokenSource(runFor);
            _runFor.Token.Register(lifetime.StopApplication);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _lease.DisposeAsync();
        LogSummary(database.Startups, database.Shutdowns, database.OpenCount);
    }

    public void Dispose() => _runFor?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Running for {RunFor}, then stopping")]
    private partial void LogRunFor(TimeSpan runFor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database opened {Startups} time(s), closed {Shutdowns} time(s), {OpenCount} opens left")]
    private partial void LogSummary(int startups, int shutdowns, int openCount);
}
