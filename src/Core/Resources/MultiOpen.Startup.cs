using System.Runtime.ExceptionServices;
using Steward.Coordination;
using Steward.Diagnostics;

namespace Steward;

// MultiOpen: the slow open path, where a cycle starts up or an opener joins or waits out one.
public partial class MultiOpen
{
    /// <summary>Adds an open without the lock if the resource is open; false if the slow path must decide.</summary>
    private bool TryAddOpenFast()
    {
        var count = Volatile.Read(ref _count);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                if (StewardMetrics.CountingOpens)
                {
                    StewardMetrics.Opens(Name, +1);
                }

                return true;
            }

            count = seen;
        }

        return false;
    }

    private async ValueTask<OpenLease> OpenSlowAsync(CallSite site, CancellationToken cancellationToken)
    {
        await AddOpenSlowAsync(cancellationToken).ConfigureAwait(false);
        return IssueLease(site);
    }

    /// <summary>Adds one open, starting a cycle, joining a startup or waiting out a shutdown as the phase requires.</summary>
    private async ValueTask AddOpenSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Cycle? toStart = null;
            Cycle? toJoin = null;
            Task? shutdown = null;
            lock (_lock)
            {
                AssertInvariants();
                if (_disposed)
                {
                    // Named after the resource, not its type (a MultiOpen.Create resource's type is internal).
                    throw new ObjectDisposedException(Name, $"MultiOpen '{Name}' has been disposed: it cannot be opened again.");
                }

                switch (_phase)
                {
                    case Phase.Open:
                        // _count >= 1 while Open, and only a holder of _lock may take it to 0.
                        Interlocked.Increment(ref _count);
                        CountOpens(+1);
                        return;
                    case Phase.Closed:
                        toStart = _cycle = new Cycle();
                        _phase = Phase.Starting;
                        break;
                    case Phase.Starting:
                        toJoin = _cycle!;
                        toJoin.Pending++;
                        break;
                    default:
                        shutdown = _shutdownDone!.Task;
                        break;
                }
            }

            if (toStart is not null)
            {
                await StartCycleAsync(toStart, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (toJoin is not null)
            {
                await JoinStartupAsync(toJoin, cancellationToken).ConfigureAwait(false);
                return;
            }

            // Startup and shutdown never overlap: wait for this shutdown, then start a fresh cycle.
            await shutdown!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask StartCycleAsync(Cycle cycle, CancellationToken cancellationToken)
    {
        var shutdown = new AsyncExitStack();
        Exception? failure = null;
        var started = StewardMetrics.StartTiming();
        try
        {
            await StartupAsync(shutdown, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        StewardMetrics.StartupEnded(Name, started);

        if (failure is not null)
        {
            // Undo what the failed startup had already set up.
            try
            {
                await shutdown.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = new AggregateException($"MultiOpen '{Name}': startup failed, and so did undoing it.", failure, ex);
            }
        }

        TaskCompletionSource? joiners = null;
        lock (_lock)
        {
            cycle.Done = true;
            if (failure is null)
            {
                cycle.Succeeded = true;
                cycle.Shutdown = shutdown;
                _phase = Phase.Open;
                _everOpened = true;
                _isClosing = false;
                _isClosed = false;
                Volatile.Write(ref _count, cycle.Pending); // >= 1: this opener counts itself
                CountOpens(cycle.Pending);
            }
            else
            {
                _phase = Phase.Closed; // the count never left 0: nothing to roll back but the phase
                _cycle = null;
                joiners = _closedSignal;
                _closedSignal = null;
            }

            AssertInvariants();
        }

        // Waiters are completed outside the lock.
        joiners?.TrySetResult();
        if (failure is null)
        {
            cycle.Started.TrySetResult();
            return;
        }

        cycle.Started.TrySetException(failure);
        _ = cycle.Started.Task.Exception; // observed here: waiters rethrow it, and there may be none
        ExceptionDispatchInfo.Throw(failure);
    }

    private async ValueTask JoinStartupAsync(Cycle cycle, CancellationToken cancellationToken)
    {
        try
        {
            await cycle.Started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            bool counted;
            lock (_lock)
            {
                counted = cycle.Done && cycle.Succeeded;
                if (!cycle.Done)
                {
                    cycle.Pending--; // withdraw before the count is published
                }
            }

            if (counted)
            {
                // The startup published our open just before we gave up: close it again.
                await CloseCoreAsync(new Closer(new CallSite("", 0, "cancelled open"), ByLease: false),
                    enforceFinalClose: false, unopenedOk: true, stealFor: null).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>One startup-to-shutdown cycle. Fields guarded by the owner's _lock.</summary>
    private sealed class Cycle
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Pending { get; set; } = 1; // the starter plus joiners still waiting

        public bool Done { get; set; }

        public bool Succeeded { get; set; }

        public AsyncExitStack? Shutdown { get; set; }
    }
}
