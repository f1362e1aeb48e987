using Steward.Diagnostics;

namespace Steward.Deferred;

// DeferredCalls: reporting calls that failed with nobody waiting for them.
public partial class DeferredCalls<T>
{
    private void ReportOnewayFailure(string name, Exception exception)
    {
        if (exception is OperationCanceledException && _abort.IsCancellationRequested)
        {
            return; // the answer to the cancellation the drain deadline asked for (already logged by the close)
        }

        DeferredCallsLog.OnewayFailed(_logger, Name, name, exception);
        StewardMetrics.CallFailed(Name, sync: false);
        var handlers = OnewayFailed;
        if (handlers is null)
        {
            return;
        }

        var failure = new DeferredCallFailure(name, exception);
        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            try
            {
                handler(failure);
            }
            catch (Exception ex)
            {
                DeferredCallsLog.OnewayFailedHandlerThrew(_logger, Name, name, ex);
            }
        }
    }

    private void OnAbandoned(bool holdsSlot)
    {
        Interlocked.Increment(ref _abandonedQueued);
        if (holdsSlot)
        {
            _slots!.Release();
        }
    }

    /// <summary>An abandoned call was taken off the queue or the set-aside list (its <c>Release</c>).</summary>
    private void OnAbandonedDropped() => Interlocked.Decrement(ref _abandonedQueued);

    private void OnFailedAfterCallerLeft(string name, Exception exception)
    {
        // An OperationCanceledException is the expected answer to the cancellation its caller's departure caused.
        if (exception is not OperationCanceledException)
        {
            DeferredCallsLog.FailedAfterCallerLeft(_logger, Name, name, exception);
        }
    }
}
