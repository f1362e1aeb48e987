using System.Runtime.CompilerServices;

namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>
    /// Runs the calls pending now, one at a time, first in first out, on the calling thread, and returns
    /// (gevent_async's <c>process(forever=False)</c>): call it between the owner's critical sections.
    /// </summary>
    /// <param name="whitelist">
    /// If given, only calls with these names run now; the others stay queued, in order, for a later pass (the original
    /// dropped them). An empty whitelist runs nothing.
    /// </param>
    /// <returns>How many calls ran.</returns>
    /// <remarks>
    /// A pass takes at most the calls queued when it began (calls set aside by earlier whitelisted passes come first, as
    /// they are older), so producers that keep queuing can never starve the owner. It ends early after the current call
    /// when <see cref="StopProcessing"/> is called or the handler begins closing. An asynchronous call is waited for
    /// synchronously; prefer <see cref="ProcessAsync"/> when the calls are asynchronous. Returns 0 once closing began.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Another pass is processing this handler now, or this is called from
    /// inside one of its own calls.</exception>
    public int ProcessPending(IReadOnlyCollection<string>? whitelist = null)
    {
        var filter = CallFilter.From(whitelist);
        if (!EnterProcessing())
        {
            return 0;
        }

        try
        {
            var pass = new Pass(filter, budget: _queue.Count, draining: false);
            var ran = 0;
            // Whether a call went asynchronous is RunBatch's answer, never the pending task's state: that call may well
            // have completed by the time it is looked at, and the pass is not over.
            while (RunBatch(ref pass, ref ran, CancellationToken.None, out var pending))
            {
                // The documented sync API: an asynchronous call is waited for on this thread. It never throws.
                pending.AsTask().GetAwaiter().GetResult();
            }

            return ran; // nothing left to take
        }
        finally
        {
            ExitProcessing();
        }
    }

    /// <summary>
    /// Runs calls as they arrive, one at a time, first in first out, awaiting asynchronous ones (gevent_async's
    /// <c>process(forever=True)</c>), until <see cref="StopProcessing"/>, <paramref name="ct"/>, or the
    /// handler closing.
    /// </summary>
    /// <param name="whitelist">If given, only calls with these names run; the others stay queued, in order, for a later
    /// pass.</param>
    /// <param name="ct">Ends the loop: at once while idle, else after the current call (which is not
    /// itself cancelled by it), with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A task that completes when the loop ends: normally after <see cref="StopProcessing"/> or once closing
    /// began (the drain takes over), cancelled by <paramref name="ct"/>.</returns>
    /// <remarks>
    /// The processing role is taken before this returns; the loop runs on the thread pool (not on the caller's thread or
    /// synchronization context), one call at a time. Use <see cref="ProcessPending"/> from the owner's own thread when the
    /// calls need that thread.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Another pass is processing this handler now.</exception>
    public async Task ProcessAsync(IReadOnlyCollection<string>? whitelist = null, CancellationToken ct = default)
    {
        var filter = CallFilter.From(whitelist);
        ct.ThrowIfCancellationRequested();
        if (!EnterProcessing())
        {
            return;
        }

        try
        {
            // The processing role is taken above, synchronously; the loop itself runs on the thread pool, so the caller
            // gets its task back at once even when the first calls are synchronous and long.
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            var pass = new Pass(filter, budget: -1, draining: false);
            var ran = 0; // not reported: ProcessAsync runs until it ends
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (RunBatch(ref pass, ref ran, ct, out var pending))
                {
                    await pending.ConfigureAwait(false);
                    continue;
                }

                if (ct.IsCancellationRequested)
                {
                    continue; // thrown above
                }

                // Else the pass took nothing more: it ended (stopped or closing) or the queue is empty for now.

                if (pass.Ended)
                {
                    return;
                }

                // Idle. Announce it with a full fence, then re-check all that a producer, StopProcessing or the closer may
                // have changed before reading _hot.Sleeping: each of them writes first and reads it after (Dekker).
                Interlocked.Exchange(ref _hot.Sleeping, 1);
                if (!_queue.IsEmpty || Volatile.Read(ref _stopRequested) != 0 || _phase != OpenPhase
                    || ct.IsCancellationRequested)
                {
                    Volatile.Write(ref _hot.Sleeping, 0);
                    continue;
                }

                await _signal.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _hot.Sleeping, 0);
            ExitProcessing();
        }
    }

    /// <summary>
    /// Ends the pass in progress after its current call (gevent_async's <c>stop_processing</c>); calls still queued wait
    /// for the next pass. With no pass in progress, the next pass to begin ends at once. Idempotent until consumed.
    /// </summary>
    public void StopProcessing()
    {
        // A full fence before Wake reads _hot.Sleeping (see ProcessAsync's idle check).
        Interlocked.Exchange(ref _stopRequested, 1);
        Wake();
    }

    /// <summary>Takes the processing role; false (without throwing) once closing began, when the drain owns the queue.</summary>
    private bool EnterProcessing()
    {
        if (_phase != OpenPhase)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _processing, 1, 0) != 0)
        {
            if (_phase != OpenPhase)
            {
                return false;
            }

            throw new InvalidOperationException(IsInsideOwnCall()
                ? $"DeferredCalls '{Name}' cannot be processed from inside one of its own calls."
                : $"DeferredCalls '{Name}' is already being processed by another pass: its calls run one at a time.");
        }

        if (_phase != OpenPhase)
        {
            ExitProcessing();
            return false;
        }

        return true;
    }

    private void ExitProcessing()
    {
        // A full fence, then the phase: either the closer sees _processing == 0, or this sees the closing phase and
        // signals it (Dekker with CloseAsync, which sets the phase first and then tries to take _processing).
        Interlocked.Exchange(ref _processing, 0);
        if (_phase != OpenPhase)
        {
            Volatile.Read(ref _processorReleased)?.TrySetResult();
        }
    }

    /// <summary>
    /// Takes the next call this pass may run now and claims it: the oldest set-aside call the filter allows, else the
    /// next queued call within the pass's budget (queued calls the filter refuses are set aside, in order). False when
    /// the pass must end (<see cref="Pass.Ended"/>: stopped or closing) or has nothing left to take now.
    /// </summary>
    private bool TryTakeNext(ref Pass pass, out DeferredEntry entry)
    {
        while (true)
        {
            entry = default;
            if (pass.Draining ? _phase == ClosedPhase : _phase != OpenPhase)
            {
                pass.Ended = true;
                return false;
            }

            if (!pass.Draining && Volatile.Read(ref _stopRequested) != 0 && Interlocked.Exchange(ref _stopRequested, 0) != 0)
            {
                pass.Ended = true;
                return false;
            }

            if (!pass.SetAsideDone)
            {
                if (TryTakeSetAside(ref pass, out entry))
                {
                    if (TryClaim(entry))
                    {
                        return true;
                    }

                    continue;
                }

                pass.SetAsideDone = true;
            }

            if (pass.Budget == 0 || !_queue.TryDequeue(out entry))
            {
                return false;
            }

            if (pass.Budget > 0)
            {
                pass.Budget--;
            }

            if (entry.IsSync && SyncOf(entry).IsAbandoned)
            {
                SyncOf(entry).Release(); // its caller has its exception and it was counted as removed: just drop it
                continue;
            }

            if (!pass.Filter.Allows(entry.Name))
            {
                SetAside(entry);
                continue;
            }

            if (TryClaim(entry))
            {
                return true;
            }
        }
    }

    /// <summary>The next set-aside call the pass's filter allows, removed from the list; scans each entry once per pass.</summary>
    private bool TryTakeSetAside(ref Pass pass, out DeferredEntry entry)
    {
        entry = default;
        if (_skippedCount == 0)
        {
            return false;
        }

        lock (_skippedLock)
        {
            while (pass.SetAsideIndex < _skipped.Count)
            {
                var candidate = _skipped[pass.SetAsideIndex];
                if (candidate.IsSync && SyncOf(candidate).IsAbandoned)
                {
                    _skipped.RemoveAt(pass.SetAsideIndex);
                    _skippedCount = _skipped.Count;
                    SyncOf(candidate).Release();
                    continue;
                }

                if (pass.Filter.Allows(candidate.Name))
                {
                    // The next candidate slides into this index.
                    _skipped.RemoveAt(pass.SetAsideIndex);
                    _skippedCount = _skipped.Count;
                    entry = candidate;
                    return true;
                }

                pass.SetAsideIndex++;
            }
        }

        return false;
    }

    /// <summary>Keeps a call the whitelist refused, after every call set aside before it.</summary>
    private void SetAside(in DeferredEntry entry)
    {
        lock (_skippedLock)
        {
            // Checked under the lock the closer's sweep takes: either the sweep sees this entry, or this sees Closed.
            if (_phase != ClosedPhase)
            {
                _skipped.Add(entry);
                _skippedCount = _skipped.Count;
                return;
            }
        }

        DiscardOne(entry);
    }

    /// <summary>
    /// Claims a taken entry for running: gives back its count and capacity. A sync call must still be pending (not
    /// abandoned by its caller); false if it may not run.
    /// </summary>
    private bool TryClaim(in DeferredEntry entry)
    {
        if (entry.IsSync)
        {
            var call = SyncOf(entry);

            // Published with a full fence before the phase is read: either Abort sees this call (and aborts it), or this
            // sees Closed (and discards it), so a sync caller is never left waiting on a call nobody will run.
            Interlocked.Exchange(ref _hot.RunningSync, call);
            if (_phase == ClosedPhase)
            {
                Volatile.Write(ref _hot.RunningSync, null);
                DiscardOne(entry);
                return false;
            }

            if (!call.TryStart())
            {
                Volatile.Write(ref _hot.RunningSync, null);
                call.Release();
                return false;
            }
        }

        // A oneway needs no such check: the pass checked the phase just before taking it, and a oneway that starts as the
        // deadline passes has no caller to leave waiting.

        // Only the pass that owns _processing writes Taken; taking that role is the interlocked hand-over between passes.
        Volatile.Write(ref _hot.Taken, _hot.Taken + 1);
        if (entry.HoldsSlot)
        {
            _slots!.Release();
        }

        return true;
    }

    /// <summary>
    /// Takes and runs calls on this thread, one at a time, until one goes asynchronous, there is nothing the pass may take
    /// now, or <paramref name="ct"/> is cancelled (<paramref name="ran"/> says how many ran). Never throws.
    /// </summary>
    /// <returns><see langword="true"/> if a call went asynchronous: <paramref name="pending"/> is its end, which the caller
    /// awaits before the next batch (it may have completed already; the pass is not over). <see langword="false"/> when
    /// the pass took nothing more (see <see cref="Pass.Ended"/>) or was cancelled.</returns>
    /// <remarks>
    /// The thread is marked as inside this handler's calls once for the whole batch rather than around each call: between
    /// two calls of a batch only the pass's own bookkeeping runs here, and the mark is gone before anything is awaited.
    /// </remarks>
    private bool RunBatch(ref Pass pass, ref int ran, CancellationToken ct, out ValueTask pending)
    {
        var previousOwner = DeferredCallContext.Owner;
        DeferredCallContext.Owner = this;
        try
        {
            while (!ct.IsCancellationRequested && TryTakeNext(ref pass, out var entry))
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

    private void ReportOnewayFailure(string name, Exception exception)
    {
        if (exception is OperationCanceledException && _abort.IsCancellationRequested)
        {
            return; // the answer to the cancellation the drain deadline asked for (already logged by the close)
        }

        DeferredCallsLog.OnewayFailed(_logger, Name, name, exception);
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
        Interlocked.Increment(ref _removed);
        if (holdsSlot)
        {
            _slots!.Release();
        }
    }

    private void OnFailedAfterCallerLeft(string name, Exception exception)
    {
        // An OperationCanceledException is the expected answer to the cancellation its caller's departure caused.
        if (exception is not OperationCanceledException)
        {
            DeferredCallsLog.FailedAfterCallerLeft(_logger, Name, name, exception);
        }
    }

    /// <summary>Which calls a pass runs: all of them, or those named in a whitelist (ordinal comparison).</summary>
    private readonly struct CallFilter
    {
        private readonly HashSet<string>? _names;

        private CallFilter(HashSet<string> names) => _names = names;

        public static CallFilter From(IReadOnlyCollection<string>? whitelist) => whitelist switch
        {
            null => default,
            HashSet<string> set when set.Comparer == EqualityComparer<string>.Default => new CallFilter(set),
            _ => new CallFilter(new HashSet<string>(whitelist, StringComparer.Ordinal)),
        };

        public bool Allows(string name) => _names is null || _names.Contains(name);
    }

    /// <summary>The progress of one pass.</summary>
    private struct Pass(CallFilter filter, int budget, bool draining)
    {
        public readonly CallFilter Filter = filter;
        public readonly bool Draining = draining;  // the close's drain: runs everything until Closed, ignores stops
        public int Budget = budget;                // queue entries it may still take; -1 = unbounded
        public int SetAsideIndex;                  // set-aside entries before it were refused by this pass's filter
        public bool SetAsideDone;                  // all set-aside entries were scanned once
        public bool Ended;                         // stopped or closing, as opposed to out of calls for now
    }
}
