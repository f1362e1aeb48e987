using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Steward.Diagnostics;
using Steward.Support;

namespace Steward.Deferred;

/// <summary>
/// Calls on a target queued by many tasks and executed one at a time, first in first out, in the owner's processing
/// context: <see cref="Oneway(Action{T}, string?)"/> queues and returns, <c>Sync</c>/<c>SyncAsync</c> queue and wait
/// for the result; <see cref="ProcessPending"/> (between the owner's critical sections) or <see cref="ProcessAsync"/>
/// (a processing loop) runs them. Ported from gevent_async's <c>DeferredCallHandler</c>.
/// </summary>
/// <typeparam name="T">The target's type.</typeparam>
/// <remarks>
/// <para>
/// A call's name is the method its lambda invokes, read from the lambda's text (<c>m =&gt; m.Update(x)</c> is
/// <c>"Update"</c>), or the explicit <c>name</c> argument. Names select calls for a whitelisted pass and appear in logs
/// and exceptions.
/// </para>
/// <para>
/// Contracts: at most one pass processes at a time (a second concurrent <see cref="ProcessPending"/> or
/// <see cref="ProcessAsync"/> throws <see cref="InvalidOperationException"/>), so calls never overlap. A <c>Sync</c> call
/// made from inside a call being processed (on the call's thread, or its async flow for an asynchronous call) runs inline
/// at once instead of deadlocking. <c>Sync</c> rethrows the call's own exception. A <c>Sync</c> call abandoned by its
/// timeout or token before it started is removed and never runs; one already running has its token cancelled, and its
/// caller is released at once. A oneway call that throws is logged and raised as <see cref="OnewayFailed"/>.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Queuing is lock-free; a oneway call allocates nothing
/// beyond the caller's own closure (amortised).
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public partial class DeferredCalls<T> : IAsyncDisposable, IObservedQueue
    where T : class
{
    // _phase values. Open → Draining (DisposeAsync began: new calls are rejected, queued ones still run) → Closed
    // (whatever is still queued is faulted or dropped by whoever finds it). Changed only with Interlocked.Exchange, a
    // full fence, so producers and processors that check it after their own interlocked step never miss it.
    private const int OpenPhase = 0;
    private const int DrainingPhase = 1;
    private const int ClosedPhase = 2;

    private readonly ConcurrentQueue<DeferredEntry> _queue = new();
    private readonly ProcessingSignal _signal = new();
    private readonly SemaphoreSlim? _slots;                 // free capacity; null when unbounded
    private readonly CancellationTokenSource _rejectWaiters = new(); // cancelled when closing begins
    private readonly CancellationTokenSource _abort = new();         // cancelled at the drain deadline
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly DeferredCallFullMode _fullMode;
    private readonly int _capacity;
    private readonly TimeSpan _drainTimeout;

    // Calls set aside by whitelisted passes, oldest first; all of them are older than anything in _queue.
    // Guarded by _skippedLock. Only the processor adds or runs them; the closer sweeps them.
    private readonly Lock _skippedLock = new();
    private readonly List<DeferredEntry> _skipped = [];

    // The fields written per call, each group on its own cache line (see DeferredHotFields).
    // _hot.Sleeping is 1 while the idle ProcessAsync loop is about to wait or waiting. The processor sets it with
    // Interlocked.Exchange and then re-checks the queue; producers read it after their enqueue's interlocked reservation (Dekker: no
    // lost wake-up). _hot.RunningSync is the sync call the processor is about to run or running; see TryClaim and Abort
    // (Dekker on _phase).
    private DeferredHotFields _hot;
    private int _abandonedQueued; // sync calls abandoned by their caller and not yet taken off the queue or the set-aside list

    // 1 while a pass (or the drain) owns the queue: the one-at-a-time guarantee.
    private int _processing;

    private volatile int _phase;
    private int _stopRequested;       // set by StopProcessing, consumed by the pass it ends
    private volatile int _skippedCount;


    private TaskCompletionSource? _closed;            // completed when DisposeAsync is done; non-null once it began
    private TaskCompletionSource? _processorReleased; // completed when a pass ends after closing began
    private int _droppedOneways;

    /// <summary>Creates a queue of calls on <paramref name="target"/>.</summary>
    /// <param name="target">The object the calls run on.</param>
    /// <param name="options">Capacity, full mode, drain timeout, name and clock; defaults if null.</param>
    /// <param name="logger">Receives oneway failures, rejections and the close summary.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative capacity or drain timeout.</exception>
    public DeferredCalls(T target, DeferredCallOptions? options = null, ILogger? logger = null)
        : this(target, options, logger, derived: false)
    {
    }

    /// <summary>Creates a queue whose target is this object itself (the <see cref="DeferredCallHandler{TSelf}"/> form).</summary>
    /// <param name="options">Capacity, full mode, drain timeout, name and clock; defaults if null.</param>
    /// <param name="logger">Receives oneway failures, rejections and the close summary.</param>
    /// <exception cref="InvalidOperationException">This object is not a <typeparamref name="T"/>.</exception>
    protected DeferredCalls(DeferredCallOptions? options = null, ILogger? logger = null)
        : this(null, options, logger, derived: true)
    {
    }

    private DeferredCalls(T? target, DeferredCallOptions? options, ILogger? logger, bool derived)
    {
        if (derived)
        {
            target = this as T ?? throw new InvalidOperationException(
                $"{GetType().Name} uses the protected DeferredCalls<{typeof(T).Name}> constructor, which makes the object "
                + $"its own target, but it is not a {typeof(T).Name}.");
        }
        else
        {
            Guard.NotNull(target, typeof(DeferredCalls<T>));
        }

        options ??= new DeferredCallOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Capacity, "options.Capacity");
        if (options.DrainTimeout < TimeSpan.Zero && options.DrainTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(
                "options.DrainTimeout", options.DrainTimeout, "The drain timeout must be zero or positive, or infinite.");
        }

        Target = target;
        Name = options.Name ?? typeof(T).Name;
        _capacity = options.Capacity;
        _fullMode = options.FullMode;
        _drainTimeout = options.DrainTimeout;
        _timeProvider = options.TimeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _slots = options.Capacity > 0 ? new SemaphoreSlim(options.Capacity, options.Capacity) : null;
        StewardMetrics.Track(this); // the queue-size gauge, for as long as the handler is alive
    }

    /// <summary>
    /// Raised, on the processing flow and after the failure was logged, for every oneway call that threw. A handler that
    /// throws is logged and does not stop processing.
    /// </summary>
    public event Action<DeferredCallFailure>? OnewayFailed;

    /// <summary>The object the calls run on.</summary>
    public T Target { get; }

    /// <summary>The name used in messages and logs: <see cref="DeferredCallOptions.Name"/>, or the target type's name.</summary>
    public string Name { get; }

    /// <summary>
    /// How many calls wait to run: queued, or set aside by a whitelisted pass. Calls abandoned by their timeout or token
    /// no longer count.
    /// </summary>
    public int PendingCount =>
        Math.Max(0, _queue.Count + _skippedCount - Volatile.Read(ref _abandonedQueued));

    /// <summary><see langword="true"/> once <see cref="DisposeAsync"/> began: new calls are rejected, the pending ones are
    /// being drained. Stays true once closed.</summary>
    public bool IsClosing => _phase != OpenPhase;

    /// <summary><see langword="true"/> once the close is over: the pending calls were drained, or given up on at the drain
    /// deadline.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) is { Task.IsCompleted: true };

    /// <summary>Oneway calls dropped because the handler closed before they ran (for tests and health reports).</summary>
    internal int DroppedOnewayCount => Volatile.Read(ref _droppedOneways);

    private string DebuggerDisplay =>
        $"{Name}: {PendingCount} pending{(_processing != 0 ? ", processing" : "")}{(_phase != OpenPhase ? ", closed" : "")}";

    /// <summary>
    /// Queues <paramref name="call"/> and returns at once. If it throws when it runs, the failure is logged and raised
    /// as <see cref="OnewayFailed"/>.
    /// </summary>
    /// <param name="call">The call, for example <c>m =&gt; m.Update(reading)</c>.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>
    /// <see langword="true"/> if queued; <see langword="false"/> (logged) if the handler is closed, or full in
    /// <see cref="DeferredCallFullMode.Throw"/> mode. In <see cref="DeferredCallFullMode.Wait"/> mode a full queue
    /// blocks the calling thread until there is room (a call made from inside a call being processed is admitted over
    /// capacity instead, since waiting there would deadlock).
    /// </returns>
    /// <remarks>For asynchronous work use the <c>(m, cancellationToken) =&gt; …</c> overload: an <c>async m =&gt; …</c> lambda given here
    /// is <c>async void</c>, which the processor cannot await and whose failures it cannot catch.</remarks>
    public bool Oneway(Action<T> call, [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        return QueueOneway(call, DeferredEntry.OnewayKind, name);
    }

    /// <summary>
    /// Queues an asynchronous call and returns at once. The processor awaits it before the next call (calls never
    /// overlap); its token is cancelled if it is still running at the drain deadline of <see cref="DisposeAsync"/>.
    /// </summary>
    /// <param name="call">The call, for example <c>(m, cancellationToken) =&gt; m.SaveAsync(cancellationToken)</c>.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>See <see cref="Oneway(Action{T}, string?)"/>.</returns>
    public bool Oneway(Func<T, CancellationToken, ValueTask> call, [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        return QueueOneway(call, DeferredEntry.OnewayAsyncKind, name);
    }

    /// <inheritdoc/>
    public override string ToString() => $"DeferredCalls '{Name}' ({PendingCount} pending)";

    private bool QueueOneway(object call, byte kind, string? expression)
    {
        var name = CallNames.Resolve(expression);
        if (_phase != OpenPhase)
        {
            DeferredCallsLog.OnewayRejectedClosed(_logger, Name, name);
            return false;
        }

        var holdsSlot = false;
        if (_slots is not null && !_slots.Wait(0))
        {
            if (_fullMode == DeferredCallFullMode.Throw)
            {
                DeferredCallsLog.OnewayRejectedFull(_logger, Name, _capacity, name);
                return false;
            }

            if (!IsInsideOwnCall())
            {
                try
                {
                    _slots.Wait(_rejectWaiters.Token);
                }
                catch (OperationCanceledException)
                {
                    DeferredCallsLog.OnewayRejectedClosed(_logger, Name, name);
                    return false;
                }

                // The semaphore may hand over room freed by the drain even after the cancel: closing still wins.
                if (_phase != OpenPhase)
                {
                    _slots.Release();
                    DeferredCallsLog.OnewayRejectedClosed(_logger, Name, name);
                    return false;
                }

                holdsSlot = true;
            }
        }
        else
        {
            holdsSlot = _slots is not null;
        }

        Enqueue(new DeferredEntry(call, name, kind, holdsSlot));
        return true;
    }

    private void Enqueue(in DeferredEntry entry)
    {
        // The queue's enqueue reserves its slot with an interlocked compare-and-swap, a full fence, before it publishes the
        // entry: so the reads of _hot.Sleeping and _phase below come after the reservation is visible, and the processor's
        // emptiness check (after its own interlocked exchange) counts a reserved slot as queued (ConcurrentQueue waits
        // for a reserved slot to be published rather than call the queue empty). Dekker without a second atomic per call,
        // which measured as the largest single cost of a oneway (a separate interlocked count here cost about a third).
        _queue.Enqueue(entry);
        if (Volatile.Read(ref _hot.Sleeping) != 0)
        {
            Wake();
        }

        if (_phase == ClosedPhase)
        {
            // The closer's sweep may have run before this entry arrived: whoever finds an entry after the close sweeps it.
            SweepAfterClose();
        }
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _hot.Sleeping, 0) != 0)
        {
            _signal.Set();
        }
    }

    /// <summary>
    /// True when the current thread or async flow is inside the call this handler is running now, so that a sync call
    /// must run inline: queuing it would wait for the processor, which waits for this call.
    /// </summary>
    private bool IsInsideOwnCall() =>
        ReferenceEquals(DeferredCallContext.Owner, this)
        || (DeferredCallContext.Flow.Value is { } marker && ReferenceEquals(marker.Owner, this) && !marker.Finished);

    /// <summary>The sync call of an entry whose <see cref="DeferredEntry.IsSync"/> is true (no type check).</summary>
    private static IQueuedCall SyncOf(in DeferredEntry entry) => Unsafe.As<IQueuedCall>(entry.Work);

    private ClosedException ClosedFor(string call) =>
        new($"DeferredCalls '{Name}' is closed: call '{call}' was not queued.");
}
