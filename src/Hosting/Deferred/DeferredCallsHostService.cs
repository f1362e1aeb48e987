using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Deferred;

namespace Steward.Hosting;

/// <summary>
/// Processes a <see cref="DeferredCalls{T}"/> queue (registered by <c>AddDeferredCalls</c>) for the host's lifetime:
/// from the moment every hosted service has started until the stop, which closes the queue and drains the calls still
/// pending (within the queue's <see cref="DeferredCallOptions.DrainTimeout"/>, bounded by the shutdown budget).
/// </summary>
internal sealed partial class DeferredCallsHostService<T>(
    DeferredCalls<T> calls, RunStateController controller, ShutdownBudget budget, ILogger<DeferredCalls<T>> logger)
    : IHostedLifecycleService
    where T : class
{
    private Task _processing = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _processing = calls.ProcessAsync(cancellationToken: CancellationToken.None); // ends when the stop closes the queue
        DeferredHostingLog.Processing(logger, calls.Name);
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
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

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
