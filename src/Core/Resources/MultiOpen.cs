using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Steward.Coordination;
using Steward.Support;

namespace Steward;

/// <summary>
/// A resource shared by many users that starts up on the first open and shuts down on the final close
/// (cs.resources' <c>MultiOpenMixin</c>): a database several workers use, opened once and closed once.
/// </summary>
/// <remarks>
/// <para>
/// Rules: the first open runs <see cref="StartupAsync"/> exactly once; concurrent openers wait for it and all see
/// its result. If it fails, the count rolls back, whatever it had pushed onto its shutdown stack is unwound,
/// every waiting opener gets the exception, and the next open retries. The final close unwinds the shutdown stack
/// (last in, first out) exactly once; an open that arrives during shutdown waits for it and then starts a new cycle.
/// Startup and shutdown never overlap.
/// </para>
/// <para>
/// Every open returns an <see cref="OpenLease"/> that closes once, and records its caller (<see cref="OpenSites"/>) for
/// leak reports. Nested opens and closes (the count moving between positive values) are lock-free and allocation-free.
/// The synchronous <see cref="Open"/> and <see cref="Close"/> block while a startup or shutdown runs.
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public abstract partial class MultiOpen : IAsyncDisposable
{
    private readonly Lock _lock = new();

    // The live open count. Invariant: _count > 0 exactly while _phase == Open. The moves 0 -> n (startup published)
    // and 1 -> 0 (final close) happen only under _lock together with the phase change; moves between positive values
    // are lock-free compare-and-swaps, so nested opens and closes never take the lock.
    private int _count;

    // Guarded by _lock.
    private Phase _phase;
    private Cycle? _cycle;                       // the cycle starting, open or shutting down
    private TaskCompletionSource? _shutdownDone; // non-null exactly while ShuttingDown
    private TaskCompletionSource? _closedSignal; // JoinAsync waiters of the current cycle
    private bool _everOpened;
    private bool _disposed;
    private string? _finalClose;                 // who made the last final close, for error messages

    private volatile bool _isClosed;

    /// <summary>Creates the resource; nothing is opened until the first <see cref="OpenAsync"/>.</summary>
    /// <param name="name">A name for messages and telemetry; defaults to the type name.</param>
    protected MultiOpen(string? name = null)
    {
        Name = name ?? GetType().Name;
    }

    private enum Phase
    {
        Closed,
        Starting,
        Open,
        ShuttingDown,
    }

    /// <summary>The name given at construction.</summary>
    public string Name { get; }

    /// <summary>The number of live opens.</summary>
    public int OpenCount => Math.Max(0, Volatile.Read(ref _count));

    /// <summary><see langword="true"/> while at least one open is live.</summary>
    public bool IsOpen => Volatile.Read(ref _count) > 0;

    /// <summary><see langword="true"/> once the final close of a cycle happened, until the next successful startup;
    /// <see langword="false"/> if never opened (as cs.resources' <c>closed</c>).</summary>
    public bool IsClosed => _isClosed;

    private string DebuggerDisplay => $"{Name}: {OpenCount} opens, {_phase}";

    /// <summary>Creates a MultiOpen whose startup is <paramref name="startup"/>.</summary>
    /// <param name="name">The resource's name.</param>
    /// <param name="startup">Starts the resource and pushes its teardown onto the given stack.</param>
    /// <returns>The resource.</returns>
    public static MultiOpen Create(string name, Func<AsyncExitStack, CancellationToken, ValueTask> startup)
    {
        Guard.NotNull(name, "MultiOpen.Create");
        Guard.NotNull(startup, name, static n => $"MultiOpen.Create(\"{n}\")");
        return new DelegateMultiOpen(name, startup);
    }

    /// <summary>
    /// Opens: the first open of a cycle runs <see cref="StartupAsync"/>; later ones only count. Waits while a
    /// startup or shutdown is in progress. Completes synchronously, allocation-free, when already open.
    /// </summary>
    /// <param name="ct">Cancels this opener's wait; given to <see cref="StartupAsync"/> when this
    /// call runs it (then every waiting opener sees the cancellation as the startup's failure).</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>The lease that closes this open, once.</returns>
    /// <exception cref="ObjectDisposedException">The resource was disposed.</exception>
    public ValueTask<OpenLease> OpenAsync(
        CancellationToken ct = default,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "")
    {
        var site = new CallSite(callerFile, callerLine, callerMember);
        return TryAddOpenFast()
            ? new ValueTask<OpenLease>(IssueLease(site))
            : OpenSlowAsync(site, ct);
    }

    /// <summary>Opens synchronously; see <see cref="OpenAsync"/>. Blocks while a startup or shutdown runs.</summary>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>The lease that closes this open, once.</returns>
    /// <exception cref="ObjectDisposedException">The resource was disposed.</exception>
    public OpenLease Open(
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "")
    {
        if (!TryAddOpenFast())
        {
            WaitSynchronously(AddOpenSlowAsync(CancellationToken.None));
        }

        return IssueLease(new CallSite(callerFile, callerLine, callerMember));
    }

    /// <summary>
    /// Closes one open made without keeping its lease (cs.resources' <c>close</c>); the final close unwinds the
    /// shutdown stack and completes once it has. Prefer disposing the <see cref="OpenLease"/>.
    /// </summary>
    /// <param name="enforceFinalClose">After closing, throw <see cref="InvalidOperationException"/> if opens remain.</param>
    /// <param name="unopenedOk">Return quietly instead of throwing when nothing is open.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>A task that completes when the close (and any shutdown) is done; it carries shutdown failures.</returns>
    /// <exception cref="InvalidOperationException">Nothing is open (the message names where the final close
    /// happened), or <paramref name="enforceFinalClose"/> and opens remain (the message lists their sites).</exception>
    public ValueTask CloseAsync(
        bool enforceFinalClose = false,
        bool unopenedOk = false,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "") =>
        CloseCoreAsync(new Closer(new CallSite(callerFile, callerLine, callerMember), ByLease: false),
            enforceFinalClose, unopenedOk, freeTicket: true);

    /// <summary>Closes synchronously; see <see cref="CloseAsync"/>. Blocks while the shutdown runs.</summary>
    /// <param name="enforceFinalClose">After closing, throw <see cref="InvalidOperationException"/> if opens remain.</param>
    /// <param name="unopenedOk">Return quietly instead of throwing when nothing is open.</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">See <see cref="CloseAsync"/>.</exception>
    public void Close(
        bool enforceFinalClose = false,
        bool unopenedOk = false,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "") =>
        WaitSynchronously(CloseAsync(enforceFinalClose, unopenedOk, callerFile, callerLine, callerMember));

    /// <summary>
    /// Waits for the final close of the current cycle (cs.resources' <c>join</c>); completes at once if the resource
    /// is closed now.
    /// </summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes when the resource is closed.</returns>
    /// <exception cref="ClosedException">The resource has never been opened.</exception>
    public Task JoinAsync(CancellationToken ct = default)
    {
        Task closed;
        lock (_lock)
        {
            if (_phase == Phase.Closed)
            {
                return _everOpened
                    ? Task.CompletedTask
                    : throw new ClosedException($"MultiOpen '{Name}' has never been opened: there is nothing to join.");
            }

            _closedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            closed = _closedSignal.Task;
        }

        return closed.WaitAsync(ct);
    }

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
                        Interlocked.Exchange(ref _count, 0);
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

    /// <inheritdoc/>
    public override string ToString() => $"MultiOpen '{Name}' ({OpenCount} opens)";

    /// <summary>
    /// Starts the resource on the first open of a cycle; push every teardown step onto <paramref name="shutdown"/>,
    /// which the final close unwinds in reverse order. If this throws, what it pushed is unwound at once.
    /// </summary>
    /// <param name="shutdown">The cycle's shutdown stack.</param>
    /// <param name="ct">The token of the opener that runs the startup.</param>
    /// <returns>A task that completes when the resource is ready.</returns>
    protected virtual ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken ct) => default;

    /// <summary>Throws <see cref="ClosedException"/> unless open (cs.resources' <c>@not_closed</c>).</summary>
    /// <exception cref="ClosedException">Not open; the message says whether it was never opened or where it was closed.</exception>
    protected void ThrowIfClosed()
    {
        if (Volatile.Read(ref _count) > 0)
        {
            return;
        }

        lock (_lock)
        {
            throw new ClosedException(_phase switch
            {
                Phase.Starting => $"MultiOpen '{Name}' is not open yet: its startup is in progress.",
                Phase.ShuttingDown => $"MultiOpen '{Name}' is shutting down (final close at {_finalClose}).",
                Phase.Open => $"MultiOpen '{Name}' has just been closed.",
                _ when !_everOpened => $"MultiOpen '{Name}' has never been opened.",
                _ => $"MultiOpen '{Name}' is closed (final close at {_finalClose}).",
            });
        }
    }

    /// <summary>Adds an open without the lock if the resource is open; false if the slow path must decide.</summary>
    private bool TryAddOpenFast()
    {
        var count = Volatile.Read(ref _count);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    private async ValueTask<OpenLease> OpenSlowAsync(CallSite site, CancellationToken ct)
    {
        await AddOpenSlowAsync(ct).ConfigureAwait(false);
        return IssueLease(site);
    }

    /// <summary>Adds one open, starting a cycle, joining a startup or waiting out a shutdown as the phase requires.</summary>
    private async ValueTask AddOpenSlowAsync(CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            Cycle? toStart = null;
            Cycle? toJoin = null;
            Task? shutdown = null;
            lock (_lock)
            {
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
                await StartCycleAsync(toStart, ct).ConfigureAwait(false);
                return;
            }

            if (toJoin is not null)
            {
                await JoinStartupAsync(toJoin, ct).ConfigureAwait(false);
                return;
            }

            // Startup and shutdown never overlap: wait for this shutdown, then start a fresh cycle.
            await shutdown!.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async ValueTask StartCycleAsync(Cycle cycle, CancellationToken ct)
    {
        var shutdown = new AsyncExitStack();
        Exception? failure = null;
        try
        {
            await StartupAsync(shutdown, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

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
                _isClosed = false;
                Volatile.Write(ref _count, cycle.Pending); // >= 1: this opener counts itself
            }
            else
            {
                _phase = Phase.Closed; // the count never left 0: nothing to roll back but the phase
                _cycle = null;
                joiners = _closedSignal;
                _closedSignal = null;
            }
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

    private async ValueTask JoinStartupAsync(Cycle cycle, CancellationToken ct)
    {
        try
        {
            await cycle.Started.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
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
                    enforceFinalClose: false, unopenedOk: true, freeTicket: false).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>The close core behind <see cref="CloseAsync"/>, <see cref="Close"/> and the leases.</summary>
    private ValueTask CloseCoreAsync(Closer closer, bool enforceFinalClose, bool unopenedOk, bool freeTicket)
    {
        // Not the final close: a lock-free decrement between positive values.
        var count = Volatile.Read(ref _count);
        while (count >= 2)
        {
            var seen = Interlocked.CompareExchange(ref _count, count - 1, count);
            if (seen == count)
            {
                if (freeTicket)
                {
                    ReleaseTicketFor(closer.Site);
                }

                return enforceFinalClose ? ValueTask.FromException(NotFinalClose(closer, count - 1)) : default;
            }

            count = seen;
        }

        return CloseSlowAsync(closer, enforceFinalClose, unopenedOk, freeTicket);
    }

    private async ValueTask CloseSlowAsync(Closer closer, bool enforceFinalClose, bool unopenedOk, bool freeTicket)
    {
        Cycle? closing = null;
        var remaining = 0;
        lock (_lock)
        {
            while (closing is null)
            {
                var count = Volatile.Read(ref _count);
                if (count >= 2)
                {
                    if (Interlocked.CompareExchange(ref _count, count - 1, count) == count)
                    {
                        remaining = count - 1;
                        break;
                    }
                }
                else if (count == 1)
                {
                    // A lock-free opener may move 1 -> 2 meanwhile; then this is not the final close after all.
                    if (Interlocked.CompareExchange(ref _count, 0, 1) == 1)
                    {
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

        if (freeTicket)
        {
            ReleaseTicketFor(closer.Site);
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
        _isClosed = true;
        ReleaseAllTickets(); // every lease still held is void now: disposing it will do nothing
        return _cycle!;
    }

    private async ValueTask ShutdownAsync(Cycle cycle)
    {
        Exception? failure = null;
        try
        {
            await cycle.Shutdown!.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        TaskCompletionSource done;
        TaskCompletionSource? joiners;
        lock (_lock)
        {
            _phase = Phase.Closed;
            _cycle = null;
            done = _shutdownDone!;
            _shutdownDone = null;
            joiners = _closedSignal;
            _closedSignal = null;
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

    /// <summary>The sync APIs' documented blocking wait.</summary>
    private static void WaitSynchronously(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Who closes, for messages: a call site, or a lease named by the site of its open.</summary>
    private readonly record struct Closer(CallSite Site, bool ByLease)
    {
        public override string ToString() => ByLease ? $"the dispose of the lease opened at {Site}" : Site.ToString();
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

    private sealed class DelegateMultiOpen(string name, Func<AsyncExitStack, CancellationToken, ValueTask> startup)
        : MultiOpen(name)
    {
        protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken ct) =>
            startup(shutdown, ct);
    }
}
