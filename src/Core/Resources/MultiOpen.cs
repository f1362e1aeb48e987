using System.Diagnostics;
using System.Runtime.CompilerServices;
using Steward.Coordination;
using Steward.Diagnostics;
using Steward.Support;

namespace Steward;

/// <summary>
/// A resource shared by many users that starts up on the first open and shuts down on the final close: a database
/// several workers use, opened once and closed once. Ported from cs.resources' <c>MultiOpenMixin</c>.
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
/// leak reports. Nested opens and lease closes (the count moving between positive values) are lock-free and
/// allocation-free; a lease-less <see cref="Close"/> also takes a lock and allocates a little for its bookkeeping.
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

    private volatile bool _isClosing; // the final close of the cycle happened (shutting down or shut down)
    private volatile bool _isClosed;  // ... and its shutdown has finished

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

    /// <summary><see langword="true"/> once the cycle is closed: its final close happened and its shutdown has finished,
    /// until the next successful startup; <see langword="false"/> if never opened. Steward's one meaning of
    /// <c>IsClosed</c>: the close is over.</summary>
    public bool IsClosed => _isClosed;

    /// <summary><see langword="true"/> once the final close of the cycle happened (its shutdown running or finished), until
    /// the next successful startup. Steward's one meaning of <c>IsClosing</c>: the close has begun, and stays so once it
    /// is over.</summary>
    public bool IsClosing => _isClosing;

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
    /// <param name="cancellationToken">Cancels this opener's wait; given to <see cref="StartupAsync"/> when this
    /// call runs it (then every waiting opener sees the cancellation as the startup's failure).</param>
    /// <param name="callerFile">Filled in by the compiler.</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns>The lease that closes this open, once.</returns>
    /// <exception cref="ObjectDisposedException">The resource was disposed.</exception>
    public ValueTask<OpenLease> OpenAsync(
        CancellationToken cancellationToken = default,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "")
    {
        var site = new CallSite(callerFile, callerLine, callerMember);
        return TryAddOpenFast()
            ? new ValueTask<OpenLease>(IssueLease(site))
            : OpenSlowAsync(site, cancellationToken);
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
    /// Closes one open made without keeping its lease; the final close unwinds the shutdown stack and completes once it
    /// has. Prefer disposing the <see cref="OpenLease"/>.
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
        [CallerMemberName] string callerMember = "")
    {
        var site = new CallSite(callerFile, callerLine, callerMember);
        return CloseCoreAsync(new Closer(site, ByLease: false), enforceFinalClose, unopenedOk, stealFor: site);
    }

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
    /// Waits for the final close of the current cycle; completes at once if the resource is closed now.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the resource is closed.</returns>
    /// <exception cref="ClosedException">The resource has never been opened.</exception>
    public Task JoinAsync(CancellationToken cancellationToken = default)
    {
        Task closed;
        lock (_lock)
        {
            AssertInvariants();
            if (_phase == Phase.Closed)
            {
                return _everOpened
                    ? Task.CompletedTask
                    : throw new ClosedException($"MultiOpen '{Name}' has never been opened: there is nothing to join.");
            }

            _closedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            closed = _closedSignal.Task;
        }

        return closed.WaitAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override string ToString() => $"MultiOpen '{Name}' ({OpenCount} opens)";

    /// <summary>
    /// Starts the resource on the first open of a cycle; push every teardown step onto <paramref name="shutdown"/>,
    /// which the final close unwinds in reverse order. If this throws, what it pushed is unwound at once.
    /// </summary>
    /// <param name="shutdown">The cycle's shutdown stack.</param>
    /// <param name="cancellationToken">The token of the opener that runs the startup.</param>
    /// <returns>A task that completes when the resource is ready.</returns>
    protected virtual ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken) => default;

    /// <summary>Throws <see cref="ClosedException"/> unless open.</summary>
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

    /// <summary>The sync APIs' documented blocking wait.</summary>
    private static void WaitSynchronously(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            return;
        }

        pending.AsTask().GetAwaiter().GetResult();
    }

    private sealed class DelegateMultiOpen(string name, Func<AsyncExitStack, CancellationToken, ValueTask> startup)
        : MultiOpen(name)
    {
        protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken) =>
            startup(shutdown, cancellationToken);
    }

    /// <summary>The invariants of the count and the phase, checked under <c>_lock</c> (Debug builds only): only a holder of
    /// <c>_lock</c> moves the count to or from zero, together with the phase.</summary>
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "checked under _lock");
        Debug.Assert((_phase == Phase.Open) == (Volatile.Read(ref _count) > 0), "_count > 0 exactly while Open");
        Debug.Assert((_shutdownDone is not null) == (_phase == Phase.ShuttingDown), "_shutdownDone exists exactly while ShuttingDown");
        Debug.Assert((_cycle is not null) == (_phase != Phase.Closed), "a cycle exists exactly while not Closed");
    }

    /// <summary>Reports a change of the live opens to <c>steward.multiopen.opens.active</c>, when anybody listens.</summary>
    private void CountOpens(int delta)
    {
        if (StewardMetrics.CountingOpens)
        {
            StewardMetrics.Opens(Name, delta);
        }
    }
}
