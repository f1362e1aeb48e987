using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Deferred;
using Steward.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// Processes a <see cref="DeferredCalls{T}"/> queue (registered by <c>AddDeferredCalls</c>) for the host's lifetime:
/// from the moment every hosted service has started until the stop, which closes the queue and drains the calls still
/// pending (within the queue's <see cref="DeferredCallOptions.DrainTimeout"/>, bounded by the shutdown budget).
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
internal sealed partial class DeferredCallsHostedService<T>(
    DeferredCalls<T> calls, DeferredCallsMode<T> mode, RunStateController controller, ShutdownBudget budget, HostTelemetry telemetry,
    ILogger<DeferredCalls<T>> logger)
    : IHostedLifecycleService
    where T : class
{
    private Task _processing = Task.CompletedTask;

    /// <summary>Nothing: the queue accepts calls from construction on.</summary>
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts processing the queue, once every hosted service has started (so the handler's own dependencies are
    /// up); for a queue its owner processes, nothing.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (mode.Processing == DeferredCallProcessing.Owner)
        {
            return Task.CompletedTask; // the application's own loop processes it; the stop drains what is left
        }

        _processing = calls.ProcessAsync(cancellationToken: CancellationToken.None); // ends when the stop closes the queue
        DeferredHostingLog.Processing(logger, calls.Name);
        return Task.CompletedTask;
    }

    /// <summary>Nothing: the workers, which may still make calls while they wind down, stop first (in their StoppingAsync).</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the queue and drains the pending calls within the shutdown budget; past it, records exit code 3.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            telemetry.Stage(HostTelemetry.DeferredCallsDrained, StewardTelemetry.Attributes.HandlerName, calls.Name);
        }
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var pending = calls.PendingCount;
        var drained = calls.DisposeAsync().AsTask(); // rejects new calls, ends the pass, drains what is pending
        var done = Task.WhenAll(drained, _processing);
        await budget.WaitAsync(done, cancellationToken);
        if (!done.IsCompleted)
        {
            DeferredHostingLog.DidNotDrain(logger, calls.Name, budget.Timeout, calls.PendingCount);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"the deferred calls of '{calls.Name}' did not drain within {budget.Timeout}");
            return;
        }

        foreach (var task in (ReadOnlySpan<Task>)[_processing, drained])
        {
            if (task.Exception is { } failure)
            {
                DeferredHostingLog.ProcessingFailed(logger, calls.Name, failure.GetBaseException());
            }
        }

        DeferredHostingLog.Drained(logger, calls.Name, pending);
    }

    /// <summary>Nothing.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
