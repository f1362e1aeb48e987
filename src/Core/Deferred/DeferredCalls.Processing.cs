namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>
    /// Runs the calls pending now, one at a time, first in first out, on the calling thread, and returns: call it
    /// between the owner's critical sections.
    /// </summary>
    /// <param name="whitelist">
    /// If given, only calls with these names run now; the others stay queued, in order, for a later pass. An empty
    /// whitelist runs nothing.
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
    /// Runs calls as they arrive, one at a time, first in first out, awaiting asynchronous ones, until
    /// <see cref="StopProcessing"/>, <paramref name="cancellationToken"/>, or the handler closing.
    /// </summary>
    /// <param name="whitelist">If given, only calls with these names run; the others stay queued, in order, for a later
    /// pass.</param>
    /// <param name="cancellationToken">Ends the loop: at once while idle, else after the current call (which is not
    /// itself cancelled by it), with <see cref="OperationCanceledException"/>.</param>
    /// <returns>A task that completes when the loop ends: normally after <see cref="StopProcessing"/> or once closing
    /// began (the drain takes over), cancelled by <paramref name="cancellationToken"/>.</returns>
    /// <remarks>
    /// The processing role is taken before this returns; the loop runs on the thread pool (not on the caller's thread or
    /// synchronization context), one call at a time. Use <see cref="ProcessPending"/> from the owner's own thread when the
    /// calls need that thread.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Another pass is processing this handler now.</exception>
    public async Task ProcessAsync(IReadOnlyCollection<string>? whitelist = null, CancellationToken cancellationToken = default)
    {
        var filter = CallFilter.From(whitelist);
        cancellationToken.ThrowIfCancellationRequested();
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
                cancellationToken.ThrowIfCancellationRequested();
                if (RunBatch(ref pass, ref ran, cancellationToken, out var pending))
                {
                    await pending.ConfigureAwait(false);
                    continue;
                }

                if (cancellationToken.IsCancellationRequested)
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
                    || cancellationToken.IsCancellationRequested)
                {
                    Volatile.Write(ref _hot.Sleeping, 0);
                    continue;
                }

                await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _hot.Sleeping, 0);
            ExitProcessing();
        }
    }

    /// <summary>
    /// Ends the pass in progress after its current call; calls still queued wait for the next pass. With no pass in
    /// progress, the next pass to begin ends at once. Idempotent until consumed.
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

}
