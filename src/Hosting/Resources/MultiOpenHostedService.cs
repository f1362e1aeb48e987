using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// Holds the host's open of a <see cref="MultiOpen"/> from start to stop: opened before any hosted service starts (a
/// resource that cannot start fails start-up at once), closed after every hosted service has stopped. At stop it waits,
/// within the shutdown budget, for the scopes' leases, reports those still open with their open sites, then closes the
/// resource for good (exactly one shutdown).
/// </summary>
internal sealed partial class MultiOpenHostedService<T>(T resource, ShutdownBudget budget, ILogger<T> logger)
    : IHostedLifecycleService
    where T : MultiOpen
{
    private OpenLease _hostLease;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        _hostLease = await resource.OpenAsync(cancellationToken, "host", 0, $"AddMultiOpen<{typeof(T).Name}>").ConfigureAwait(false);
        LogOpened(resource.Name);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // Scopes normally let go while the workers stop; a slow one gets what is left of the budget.
        while (resource.OpenCount > 1 && budget.Remaining > TimeSpan.Zero && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None).ConfigureAwait(false);
        }

        await _hostLease.DisposeAsync().ConfigureAwait(false);
        if (resource.OpenCount > 0)
        {
            var sites = resource.OpenSites;
            LogLeaked(resource.Name, sites.Count, string.Join("; ", sites));
        }

        await resource.DisposeAsync().ConfigureAwait(false); // the final shutdown, once, whatever is still held
        LogClosed(resource.Name);
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Opened resource {Resource} for the host")]
    private partial void LogOpened(string resource);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning,
        Message = "Resource {Resource} still had {Count} open lease(s) at host stop (leaked scopes?), opened at: {Sites}")]
    private partial void LogLeaked(string resource, int count, string sites);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Information, Message = "Closed resource {Resource}")]
    private partial void LogClosed(string resource);
}
