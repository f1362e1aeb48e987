using System.Runtime.CompilerServices;

namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>
    /// Closes the handler: new calls are rejected at once (<c>Oneway</c> returns <see langword="false"/>, <c>Sync</c>
    /// throws <see cref="ClosedException"/>), the pass in progress ends after its current call, and the pending calls
    /// are drained, in order, on a worker thread, within <see cref="DeferredCallOptions.DrainTimeout"/>. If the deadline
    /// passes first, the running call's token is cancelled (and its sync caller gets <see cref="ClosedException"/>), the
    /// waiting sync callers get <see cref="ClosedException"/> and the oneways left are counted and logged; the call that
    /// overran is left to finish in the background, so this never hangs. Idempotent: later calls wait for the same close.
    /// </summary>
    /// <returns>A task that completes when the pending calls are drained or given up on.</returns>
    /// <exception cref="InvalidOperationException">Called from inside one of the handler's own calls, which the drain
    /// would have to wait for.</exception>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The close behind <see cref="DisposeAsync"/>; a derived handler that overrides it to release its own resources
    /// should await the base first, so the pending calls still see them.
    /// </summary>
    /// <returns>A task that completes when the pending calls are drained or given up on.</returns>
    protected virtual ValueTask DisposeAsyncCore()
    {
        var existing = Volatile.Read(ref _closed);
        if (existing is null && IsInsideOwnCall())
        {
            throw new InvalidOperationException(
                $"DeferredCalls '{Name}' cannot be disposed from inside one of its own calls ('{Volatile.Read(ref _hot.RunningName)}'): "
                + "the drain would wait for that call.");
        }

        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        existing = Interlocked.CompareExchange(ref _closed, closed, null);
        if (existing is not null)
        {
            return new ValueTask(existing.Task);
        }

        _ = CloseAsync(closed);
        return new ValueTask(closed.Task);
    }

    private async Task CloseAsync(TaskCompletionSource closed)
    {
        try
        {
            // Created before the phase changes, so a pass that sees the new phase in ExitProcessing finds it.
            Volatile.Write(ref _processorReleased, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Interlocked.Exchange(ref _phase, DrainingPhase);
            _rejectWaiters.Cancel(); // producers waiting for room give up
            Wake();                  // an idle ProcessAsync sees the phase and ends

            // On a worker thread, so a call that blocks synchronously cannot hold this close past its deadline.
            var drain = Task.Run(DrainAsync);
            int drained;
            try
            {
                drained = await drain.WaitAsync(_drainTimeout, _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Abort();
                return;
            }

            Interlocked.Exchange(ref _phase, ClosedPhase);
            SweepAfterClose(); // calls queued by producers that passed the open check just before the close
            DeferredCallsLog.Drained(_logger, Name, drained);
        }
        finally
        {
            closed.TrySetResult();
        }
    }

    /// <summary>Runs every pending call, in order and unfiltered, until none is left or the deadline closes the handler.</summary>
    private async Task<int> DrainAsync()
    {
        // The pass in progress (if any) ends after its current call; then the drain owns the queue.
        while (Interlocked.CompareExchange(ref _processing, 1, 0) != 0)
        {
            var released = Volatile.Read(ref _processorReleased)!.Task;
            if (released.IsCompleted)
            {
                await Task.Yield(); // a pass that began just as the close did is about to let go
            }
            else
            {
                await released.ConfigureAwait(false);
            }
        }

        var drained = 0;
        try
        {
            var pass = new Pass(default, budget: -1, draining: true);
            // Until RunBatch says nothing is left to take: a call that went asynchronous may have completed by the time
            // its pending end is looked at, which says nothing about the queue behind it.
            while (RunBatch(ref pass, ref drained, CancellationToken.None, out var pending))
            {
                await pending.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _processing, 0);
        }

        return drained;
    }

    /// <summary>The drain deadline passed: close now, release every waiting caller, count what is dropped.</summary>
    private void Abort()
    {
        // A full fence before reading _hot.RunningSync (Dekker with TryClaim).
        Interlocked.Exchange(ref _phase, ClosedPhase);
        var runningName = Volatile.Read(ref _hot.RunningName);
        Unsafe.As<IQueuedCall>(Volatile.Read(ref _hot.RunningSync))?.Abort(new ClosedException(
            $"DeferredCalls '{Name}' closed while call '{runningName}' was still running at the drain deadline "
            + $"({_drainTimeout.TotalMilliseconds:0.###} ms); its token was cancelled."));
        try
        {
            _abort.Cancel();
        }
        catch (AggregateException ex)
        {
            DeferredCallsLog.AbortCallbacksFailed(_logger, Name, ex);
        }

        if (runningName is not null)
        {
            DeferredCallsLog.DrainDeadlinePassed(_logger, Name, _drainTimeout, runningName);
        }

        SweepAfterClose();
    }

    /// <summary>Fails or drops whatever is still queued or set aside; any thread that finds an entry after the close calls it.</summary>
    private void SweepAfterClose()
    {
        int syncCalls = 0, oneways = 0;
        while (_queue.TryDequeue(out var entry))
        {
            Discard(entry, ref syncCalls, ref oneways);
        }

        DeferredEntry[]? setAside = null;
        lock (_skippedLock)
        {
            if (_skipped.Count > 0)
            {
                setAside = [.. _skipped];
                _skipped.Clear();
                _skippedCount = 0;
            }
        }

        if (setAside is not null)
        {
            foreach (var entry in setAside)
            {
                Discard(entry, ref syncCalls, ref oneways);
            }
        }

        if (syncCalls + oneways > 0)
        {
            DeferredCallsLog.DroppedAtClose(_logger, Name, syncCalls, oneways);
        }
    }

    private void DiscardOne(in DeferredEntry entry)
    {
        int syncCalls = 0, oneways = 0;
        Discard(entry, ref syncCalls, ref oneways);
        if (syncCalls + oneways > 0)
        {
            DeferredCallsLog.DroppedAtClose(_logger, Name, syncCalls, oneways);
        }
    }

    private void Discard(in DeferredEntry entry, ref int syncCalls, ref int oneways)
    {
        if (entry.IsSync)
        {
            var call = SyncOf(entry);
            if (call.TryAbandon(new ClosedException(
                $"DeferredCalls '{Name}' closed before call '{entry.Name}' ran; it will never run.")))
            {
                syncCalls++;
            }

            call.Release();
            return;
        }

        if (entry.HoldsSlot)
        {
            _slots!.Release();
        }

        Interlocked.Increment(ref _droppedOneways);
        oneways++;
    }
}
