using System.Diagnostics;
using System.Runtime.CompilerServices;
using Steward.Diagnostics;

namespace Steward.Deferred;

// DeferredCalls: running claimed calls, in batches on the processing thread, and ending them.
public partial class DeferredCalls<T>
{
    /// <summary>
    /// Takes and runs calls on this thread, one at a time, until one goes asynchronous, there is nothing the pass may take
    /// now, or <paramref name="cancellationToken"/> is cancelled (<paramref name="ran"/> says how many ran). Never throws.
    /// </summary>
    /// <returns><see langword="true"/> if a call went asynchronous: <paramref name="pending"/> is its end, which the caller
    /// awaits before the next batch (it may have completed already; the pass is not over). <see langword="false"/> when
    /// the pass took nothing more (see <see cref="Pass.Ended"/>) or was cancelled.</returns>
    /// <remarks>
    /// The thread is marked as inside this handler's calls once for the whole batch rather than around each call: between
    /// two calls of a batch only the pass's own bookkeeping runs here, and the mark is gone before anything is awaited.
    /// </remarks>
    private bool RunBatch(ref Pass pass, ref int ran, CancellationToken cancellationToken, out ValueTask pending)
    {
        var previousOwner = DeferredCallContext.Owner;
        DeferredCallContext.Owner = this;
        try
        {
            while (!cancellationToken.IsCancellationRequested && TryTakeNext(ref pass, out var entry))
            {
                ran++;
                pending = Execute(entry);
                if (!pending.IsCompleted)
                {
                    return true;
                }

                // Completed synchronously: Execute has already ended it (no result to consume).
            }

            pending = default;
            return false;
        }
        finally
        {
            DeferredCallContext.Owner = previousOwner;
        }
    }

    /// <summary>
    /// Runs a claimed call as the running call (the thread is already marked by <see cref="RunBatch"/>, so sync calls it
    /// makes run inline). Never throws: sync calls hand their outcome to their caller, oneway failures are reported.
    /// Pending only if the call went asynchronous.
    /// </summary>
    private ValueTask Execute(in DeferredEntry entry)
    {
        Volatile.Write(ref _hot.RunningName, entry.Name);
        if (StewardMetrics.TimingCalls)
        {
            _hot.CallStarted = Stopwatch.GetTimestamp();
        }

        var pending = entry.Kind switch
        {
            DeferredEntry.OnewayKind => RunOneway(Unsafe.As<Action<T>>(entry.Work), entry.Name),
            DeferredEntry.OnewayAsyncKind =>
                RunOnewayAsync(Unsafe.As<Func<T, CancellationToken, ValueTask>>(entry.Work), entry.Name),
            DeferredEntry.SyncAsyncKind => RunMarked(SyncOf(entry)),
            _ => SyncOf(entry).Run(Target, _abort.Token),
        };

        if (pending.IsCompleted)
        {
            pending.GetAwaiter().GetResult();
            EndCall(entry);
            return default;
        }

        return EndCallLaterAsync(pending, entry);
    }

    private async ValueTask EndCallLaterAsync(ValueTask pending, DeferredEntry entry)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            EndCall(entry);
        }
    }

    private void EndCall(in DeferredEntry entry)
    {
        Volatile.Write(ref _hot.RunningName, null);
        if (_hot.CallStarted != 0)
        {
            StewardMetrics.CallEnded(Name, entry.IsSync, _hot.CallStarted);
            _hot.CallStarted = 0;
        }

        if (_hot.RunningMarker is { } marker)
        {
            marker.Finish();
            _hot.RunningMarker = null;
        }

        if (entry.IsSync)
        {
            Volatile.Write(ref _hot.RunningSync, null);
            SyncOf(entry).Release();
        }
    }

    private ValueTask RunOneway(Action<T> action, string name)
    {
        try
        {
            action(Target);
        }
        catch (Exception ex)
        {
            ReportOnewayFailure(name, ex);
        }

        return default;
    }

    private ValueTask RunOnewayAsync(Func<T, CancellationToken, ValueTask> call, string name)
    {
        ValueTask pending;
        var previous = DeferredCallContext.Flow.Value;
        DeferredCallContext.Flow.Value = _hot.RunningMarker = new DeferredFlowMarker(this); // flows into its continuations
        try
        {
            pending = call(Target, _abort.Token);
        }
        catch (Exception ex)
        {
            ReportOnewayFailure(name, ex);
            return default;
        }
        finally
        {
            DeferredCallContext.Flow.Value = previous;
        }

        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return default;
        }

        return AwaitOnewayAsync(pending, name);
    }

    private async ValueTask AwaitOnewayAsync(ValueTask pending, string name)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ReportOnewayFailure(name, ex);
        }
    }

    private ValueTask RunMarked(IQueuedCall call)
    {
        var previous = DeferredCallContext.Flow.Value;
        DeferredCallContext.Flow.Value = _hot.RunningMarker = new DeferredFlowMarker(this); // flows into its continuations
        try
        {
            return call.Run(Target, _abort.Token);
        }
        finally
        {
            DeferredCallContext.Flow.Value = previous;
        }
    }
}
