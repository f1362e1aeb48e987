using System.Diagnostics;

namespace Steward.Deferred;

// DeferredCalls: how a pass takes its next call (budget, whitelist, calls set aside) and claims it for running.
public partial class DeferredCalls<T>
{
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
    /// Claims a taken entry for running: gives back its capacity. A sync call must still be pending (not
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

        Debug.Assert(Volatile.Read(ref _processing) == 1, "only the pass holding the processing role claims calls");
        if (entry.HoldsSlot)
        {
            _slots!.Release();
        }

        return true;
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
