using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Steward;

/// <summary>
/// The run state of a task that can be started, paused, resumed, cancelled and stopped: easily queried state for
/// monitors, and cheap checkpoints for the work itself. Ported from cs.resources' <c>RunState</c>.
/// </summary>
/// <remarks>
/// <para>
/// The transition table (docs/architecture.md in the repository) is enforced: an event that is not allowed in the current <see cref="Status"/>
/// throws <see cref="InvalidRunStateTransitionException"/> before any side effect. <see cref="Cancel"/> is allowed in
/// every status; it sets <see cref="IsCancelled"/>, cancels <see cref="Token"/> and releases every paused checkpoint.
/// <see cref="Start"/> clears the flag and issues a fresh <see cref="Token"/>.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. Transitions are serialised by a private lock;
/// <see cref="IsCancelled"/>, <see cref="IsRunning"/> and the not-paused path of the checkpoints read
/// volatile fields without taking it. Event handlers run after the transition, outside the lock; a handler
/// that throws neither undoes the transition nor stops the other handlers: once all have run, the failure is
/// rethrown to the caller of the event method (an <see cref="AggregateException"/> if several failed).
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source has no timer and is never linked, so it holds nothing that needs disposing; "
                    + "tokens handed out may outlive a run, so it is left to the GC.")]
public partial class RunState
{
    // _flags bits. The checkpoint fast path is "one volatile read compared with zero".
    private const int CancelledFlag = 1; // set by Cancel (or a pollCancel that returned true), cleared by Start
    private const int PausedFlag = 2;    // set exactly while Status == Paused
    private const int PollFlag = 4;      // set for ever when a pollCancel was given, to route checkpoints through it

    private const long NoTime = long.MinValue;

    private static long s_unnamed;

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly Func<bool>? _pollCancel;
    private readonly RunState? _parent;

    // Invariant: _flags and _status change only under _lock, together; lock-free readers see each on its own.
    private volatile int _flags;
    private volatile RunStateStatus _status;

    // A fresh source per Start; replaced under _lock, read without it.
    private volatile CancellationTokenSource _cts = new();
    private RunSleeper? _sleeper; // the sleeps of the current run (see SleepAsync); replaced when a restart makes a new token

    // Non-null exactly while Paused: created by Pause, taken by Resume/Cancel/Stop under _lock and completed
    // outside it, so a checkpoint that saw the gate is always released.
    private volatile TaskCompletionSource? _resumeGate;

    // Guarded by _lock.
    private HashSet<RunState>? _runningChildren; // children between their Start and Stop; see RunState.Children.cs
    // UTC ticks, or NoTime: plain longs rather than DateTimeOffset? (8 bytes each, not 24), as a host keeps one RunState
    // per worker instance. TimeProvider.GetUtcNow is UTC by contract, so nothing is lost.
    private long _startTicks = NoTime;
    private long _stopTicks = NoTime;
    private long _transitionCount; // status changes so far (RunStateTransition.Sequence)

    // Progress counter for stall detection. Incremented without interlocking: under concurrent checkpoints of
    // one RunState an increment may be lost, which a "has it moved since the last sample" check tolerates.
    private long _checkpoints;

    /// <summary>Creates an <see cref="RunStateStatus.Idle"/> RunState.</summary>
    /// <param name="name">A name for logs and telemetry; defaults to <c>RunState-N</c>.</param>
    /// <param name="timeProvider">The clock for <see cref="StartTime"/>, <see cref="StopTime"/>,
    /// <see cref="RunTime"/> and <see cref="SleepAsync"/>; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="pollCancel">An extra cancellation test consulted by <see cref="IsCancelled"/> and every checkpoint.
    /// The first time it returns <see langword="true"/> the RunState is cancelled exactly as by <see cref="Cancel"/>,
    /// and stays cancelled until the next <see cref="Start"/>.</param>
    public RunState(string? name = null, TimeProvider? timeProvider = null, Func<bool>? pollCancel = null)
        : this(name, timeProvider, pollCancel, parent: null)
    {
    }

    private RunState(string? name, TimeProvider? timeProvider, Func<bool>? pollCancel, RunState? parent)
    {
        Name = name ?? $"RunState-{Interlocked.Increment(ref s_unnamed)}";
        _timeProvider = timeProvider ?? TimeProvider.System;
        _pollCancel = pollCancel;
        _parent = parent;
        _flags = pollCancel is null ? 0 : PollFlag;
    }

    /// <summary>Raised after the RunState starts running (Idle or Stopped → Running).</summary>
    public event Action<RunState>? Started;

    /// <summary>Raised after the first <see cref="Cancel"/> of a run (or of an idle or stopped RunState);
    /// repeated cancels of an already cancelled RunState raise nothing.</summary>
    public event Action<RunState>? Cancelled;

    /// <summary>Raised after the RunState stops running (Running, Paused or Stopping → Stopped).</summary>
    public event Action<RunState>? Stopped;

    /// <summary>Raised after every change of <see cref="Status"/>, before the more specific event.</summary>
    public event Action<RunStateTransition>? StateChanged;

    /// <summary>The name given at construction.</summary>
    public string Name { get; }

    /// <summary>The current status.</summary>
    public RunStateStatus Status => _status;

    /// <summary><see langword="true"/> from <see cref="Start"/> until <see cref="Stop()"/>: Running, Paused or Stopping.</summary>
    public bool IsRunning => IsRunningStatus(_status);

    /// <summary><see langword="true"/> while <see cref="RunStateStatus.Paused"/>.</summary>
    public bool IsPaused => _status == RunStateStatus.Paused;

    /// <summary><see langword="true"/> while <see cref="RunStateStatus.Stopping"/>: running, but cancelled.</summary>
    public bool IsStopping => _status == RunStateStatus.Stopping;

    /// <summary><see langword="true"/> when not running: Idle or Stopped.</summary>
    public bool IsStopped => !IsRunningStatus(_status);

    /// <summary>
    /// <see langword="true"/> once <see cref="Cancel"/> was called (or the pollCancel function returned
    /// <see langword="true"/>), until the next <see cref="Start"/>. A lock-free read unless a pollCancel was given.
    /// </summary>
    public bool IsCancelled
    {
        get
        {
            var flags = _flags;
            if ((flags & CancelledFlag) != 0)
            {
                return true;
            }

            return (flags & PollFlag) != 0 && PollCancel();
        }
    }

    /// <summary>
    /// Cancelled by <see cref="Cancel"/>. Each <see cref="Start"/> issues a fresh token, so a token taken during
    /// one run is never cancelled by the next run's cancel.
    /// </summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>When the current or last run started; <see langword="null"/> if never started.</summary>
    public DateTimeOffset? StartTime
    {
        get
        {
            lock (_lock)
            {
                return ToTime(_startTicks);
            }
        }
    }

    /// <summary>When the last run stopped; <see langword="null"/> while running or if never stopped.</summary>
    public DateTimeOffset? StopTime
    {
        get
        {
            lock (_lock)
            {
                return ToTime(_stopTicks);
            }
        }
    }

    /// <summary>How long the current run has lasted, or the last run lasted; zero if never started.</summary>
    public TimeSpan RunTime
    {
        get
        {
            lock (_lock)
            {
                if (_startTicks == NoTime)
                {
                    return TimeSpan.Zero;
                }

                var end = IsRunningStatus(_status) ? _timeProvider.GetUtcNow().UtcTicks : _stopTicks == NoTime ? _startTicks : _stopTicks;
                var elapsed = TimeSpan.FromTicks(end - _startTicks);
                return elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed;
            }
        }
    }

    /// <summary>
    /// How many checkpoints (<see cref="ThrowIfCancelled"/>, <see cref="ThrowIfCancelledAsync"/>,
    /// <see cref="WaitIfPaused"/>, <see cref="WaitIfPausedAsync"/>, each item of <see cref="Iterate{T}"/>)
    /// have been passed. Sample it to detect a stalled worker.
    /// </summary>
    public long Checkpoints => Volatile.Read(ref _checkpoints);

    private string DebuggerDisplay =>
        $"{Name}: {_status}{((_flags & CancelledFlag) != 0 ? " (cancelled)" : "")}, {Checkpoints} checkpoints";

    /// <inheritdoc/>
    public override string ToString() =>
        $"RunState '{Name}' ({_status}{((_flags & CancelledFlag) != 0 ? ", cancelled" : "")})";

    private static DateTimeOffset? ToTime(long utcTicks) => utcTicks == NoTime ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);

    private static bool IsRunningStatus(RunStateStatus status) =>
        status is RunStateStatus.Running or RunStateStatus.Paused or RunStateStatus.Stopping;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool PollCancel()
    {
        if (!_pollCancel!())
        {
            return false;
        }

        Cancel();
        return true;
    }

}
