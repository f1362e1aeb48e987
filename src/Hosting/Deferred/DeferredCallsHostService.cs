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
        LogProcessing(calls.Name);
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
            LogDidNotDrain(calls.Name, budget.Timeout, calls.PendingCount);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"the deferred calls of '{calls.Name}' did not drain within {budget.Timeout}");
            return;
        }

        foreach (var task in (ReadOnlySpan<Task>)[_processing, drained])
        {
            if (task.Exception is { } failure)
            {
                LogProcessingFailed(calls.Name, failure.GetBaseException());
            }
        }

        LogDrained(calls.Name, pending);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2701, Level = LogLevel.Information, Message = "Processing the deferred calls of {Handler}")]
    private partial void LogProcessing(string handler);

    [LoggerMessage(EventId = 2702, Level = LogLevel.Information, Message = "Closed the deferred calls of {Handler} ({Pending} were pending at stop)")]
    private partial void LogDrained(string handler, int pending);

    [LoggerMessage(EventId = 2703, Level = LogLevel.Critical,
        Message = "The deferred calls of {Handler} did not drain within the shutdown timeout of {Timeout}; {Pending} still pending")]
    private partial void LogDidNotDrain(string handler, TimeSpan timeout, int pending);

    [LoggerMessage(EventId = 2704, Level = LogLevel.Error, Message = "Processing the deferred calls of {Handler} failed")]
    private partial void LogProcessingFailed(string handler, Exception exception);
}
