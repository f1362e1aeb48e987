using System.Runtime.ExceptionServices;
using Steward.Diagnostics;

namespace Steward;

// MultiOpen: the close path, the final close's shutdown and DisposeAsync.
public partial class MultiOpen
{
    /// <summary>
    /// Final: closes whatever is still open (running the shutdown once), after waiting for a startup or shutdown in
    /// progress. Later opens throw <see cref="ObjectDisposedException"/>; leases still held become no-ops. Idempotent.
    /// </summary>
    /// <returns>A task that completes when the resource is shut down; it carries shutdown failures.</returns>
    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        while (true)
        {
            Cycle? closing = null;
            Task? inProgress = null;
            lock (_lock)
            {
                AssertInvariants();
                _disposed = true;
                switch (_phase)
                {
                    case Phase.Closed:
                        return;
                    case Phase.Starting:
                        inProgress = _cycle!.Started.Task;
                        break;
                    case Phase.ShuttingDown:
                        inProgress = _shutdownDone!.Task;
                        break;
                    default:
                        // Lock-free closers that lose this race see 0 and take the slow path, which is quiet for leases.
                        CountOpens(-Interlocked.Exchange(ref _count, 0));
                        closing = BeginShutdown(new Closer(new CallSite("", 0, nameof(DisposeAsync)), ByLease: false));
                        break;
                }
            }

            if (closing is not null)
            {
                await ShutdownAsync(closing).ConfigureAwait(false);
                return;
            }

            try
            {
                await inProgress!.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A failed startup belongs to its openers; here it only means there is nothing to shut down.
            }
        }
    }

    /// <summary>The close core behind <see cref="CloseAsync"/>, <see cref="Close"/> and the leases.</summary>
    private ValueTask CloseCoreAsync(Closer closer, bool enforceFinalClose, bool unopenedOk, CallSite? stealFor)
    {
        // Read before the count moves: a ticket is stolen only in the cycle this close belongs to (see ReleaseTicketFor).
        var generation = stealFor is null ? 0 : Volatile.Read(ref _generation);

        // Not the final close: a lock-free decrement between positive values.
        var count = Volatile.Read(ref _count);
        while (count >= 2)
        {
            var seen = Interlocked.CompareExchange(ref _count, count - 1, count);
            if (seen == count)
            {
                CountOpens(-1);
                if (stealFor is { } site)
                {
                    ReleaseTicketFor(site, generation);
                }

                return enforceFinalClose ? ValueTask.FromException(NotFinalClose(closer, count - 1)) : default;
            }

            count = seen;
        }

        return CloseSlowAsync(closer, enforceFinalClose, unopenedOk, stealFor, generation);
    }

    private async ValueTask CloseSlowAsync(Closer closer, bool enforceFinalClose, bool unopenedOk, CallSite? stealFor, long generation)
    {
        Cycle? closing = null;
        var remaining = 0;
        lock (_lock)
        {
            AssertInvariants();
            while (closing is null)
            {
                var count = Volatile.Read(ref _count);
                if (count >= 2)
                {
                    if (Interlocked.CompareExchange(ref _count, count - 1, count) == count)
                    {
                        CountOpens(-1);
                        remaining = count - 1;
                        break;
                    }
                }
                else if (count == 1)
                {
                    // A lock-free opener may move 1 -> 2 meanwhile; then this is not the final close after all.
                    if (Interlocked.CompareExchange(ref _count, 0, 1) == 1)
                    {
                        CountOpens(-1);
                        closing = BeginShutdown(closer);
                    }
                }
                else if (unopenedOk)
                {
                    return;
                }
                else
                {
                    throw new InvalidOperationException(UnderflowMessage(closer));
                }
            }
        }

        if (closing is not null)
        {
            await ShutdownAsync(closing).ConfigureAwait(false);
            return;
        }

        if (stealFor is { } site)
        {
            ReleaseTicketFor(site, generation);
        }

        if (enforceFinalClose)
        {
            throw NotFinalClose(closer, remaining);
        }
    }

    /// <summary>Moves Open to ShuttingDown after the count reached 0. Caller holds _lock.</summary>
    private Cycle BeginShutdown(Closer closer)
    {
        _phase = Phase.ShuttingDown;
        _shutdownDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _finalClose = closer.ToString();
        _isClosing = true;
        ReleaseAllTickets(); // every lease still held is void now: disposing it will do nothing
        AssertInvariants();
        return _cycle!;
    }

    private async ValueTask ShutdownAsync(Cycle cycle)
    {
        Exception? failure = null;
        var started = StewardMetrics.StartTiming();
        try
        {
            await cycle.Shutdown!.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        StewardMetrics.ShutdownEnded(Name, started);

        TaskCompletionSource done;
        TaskCompletionSource? joiners;
        lock (_lock)
        {
            _phase = Phase.Closed;
            _isClosed = true;
            _cycle = null;
            done = _shutdownDone!;
            _shutdownDone = null;
            joiners = _closedSignal;
            _closedSignal = null;
            AssertInvariants();
        }

        done.TrySetResult();
        joiners?.TrySetResult();
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private string UnderflowMessage(Closer closer)
    {
        var state = _phase switch
        {
            Phase.Starting => "its startup is still in progress",
            Phase.ShuttingDown => $"it is shutting down after the final close at {_finalClose}",
            _ when !_everOpened => "it was never opened",
            _ => $"the final close already happened at {_finalClose}",
        };
        return $"MultiOpen '{Name}': close at {closer} without a matching open: {state}.";
    }

    private InvalidOperationException NotFinalClose(Closer closer, int remaining) =>
        new($"MultiOpen '{Name}': the close at {closer} was expected to be the final close, but {remaining} "
            + $"open(s) remain, from: {string.Join("; ", OpenSites)}.");

    /// <summary>Who closes, for messages: a call site, or a lease named by the site of its open.</summary>
    private readonly record struct Closer(CallSite Site, bool ByLease)
    {
        public override string ToString() => ByLease ? $"the dispose of the lease opened at {Site}" : Site.ToString();
    }
}
