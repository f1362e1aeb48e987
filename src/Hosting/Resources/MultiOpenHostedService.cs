using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// Holds the host's open of a <see cref="MultiOpen"/> from start to stop: opened before any hosted service starts (a
/// resource that cannot start fails start-up at once), closed after every hosted service has stopped. At stop it waits,
/// within the shutdown budget, for the scopes' leases, reports those still open with their open sites, then closes the
/// resource for good (exactly one shutdown).
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
internal sealed partial class MultiOpenHostedService<T>(
    T resource, RunStateController controller, ShutdownBudget budget, TimeProvider clock, HostTelemetry telemetry, ILogger<T> logger)
    : IHostedLifecycleService
    where T : MultiOpen
{
    private string? _hostSite; // where the host's own open was made, as OpenSites lists it

    /// <summary>Opens the resource for the host, before any hosted service starts: a resource that cannot start fails the start.</summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        // The host's open is never closed by its lease: the final DisposeAsync at stop closes it with the rest, so the
        // resource cannot close and re-open in between when the last scope lets go.
        var lease = await resource.OpenAsync(cancellationToken, "", 0, $"AddMultiOpen<{typeof(T).Name}> (the host)").ConfigureAwait(false);
        _hostSite = lease.Site;
        ResourcesLog.Opened(logger, resource.Name);
    }

    /// <summary>Nothing.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing.</summary>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing: the resource stays open while the workers and the other services stop.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing: every other hosted service stops before the resource closes.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits (within the budget) for the scopes' leases, reports those still open, then shuts the resource down once.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CloseForGoodAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            telemetry.Stage(HostTelemetry.ResourcesClosed, StewardTelemetry.Attributes.ResourceName, resource.Name);
        }
    }

    private async Task CloseForGoodAsync(CancellationToken cancellationToken)
    {
        // Scopes normally let go while the workers stop; a slow one gets what is left of the budget.
        // The poll runs on the host's clock; the budget (real time) and the stop token bound each wait, so a clock whose
        // timers never fire cannot hold the stop.
        while (resource.OpenCount > 1 && budget.Remaining is var remaining && remaining > TimeSpan.Zero
            && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), clock, cancellationToken)
                .WaitAsync(remaining, TimeProvider.System, cancellationToken)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var leaked = resource.OpenSites.ToList();
        if (_hostSite is not null)
        {
            leaked.Remove(_hostSite); // the host's own open
        }
        if (leaked.Count > 0)
        {
            ResourcesLog.Leaked(logger, resource.Name, leaked.Count, string.Join("; ", leaked));
        }

        // The final shutdown, once, whatever is still held; bounded by the budget, and its failure reported, not thrown.
        var closing = resource.DisposeAsync().AsTask();
        await budget.WaitAsync(closing, cancellationToken);
        if (!closing.IsCompleted)
        {
            ResourcesLog.DidNotClose(logger, resource.Name, budget.Timeout);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"resource '{resource.Name}' did not shut down within {budget.Timeout}");
        }
        else if (closing.Exception is { } failure)
        {
            ResourcesLog.CloseFailed(logger, resource.Name, failure.GetBaseException());
            controller.RecordExitCode(StewardExitCodes.Failure, $"shutting down resource '{resource.Name}' failed: {failure.GetBaseException().Message}");
        }
        else
        {
            ResourcesLog.Closed(logger, resource.Name);
        }
    }
}
