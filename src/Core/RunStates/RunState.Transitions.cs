using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Steward.Diagnostics;
using static Steward.RunStateTransitionTable;

namespace Steward;

// RunState: the transitions (Start, Cancel, Pause, Resume, Stop) and the raising of their events.
public partial class RunState
{
    /// <summary>
    /// Starts running: Idle or Stopped → Running. Clears <see cref="IsCancelled"/>, issues a fresh
    /// <see cref="Token"/>, sets <see cref="StartTime"/>, raises <see cref="StateChanged"/> then <see cref="Started"/>.
    /// A child RunState whose parent is cancelled is cancelled at once after starting.
    /// </summary>
    /// <param name="runningOk">If <see langword="true"/>, starting a RunState that is already running is a no-op
    /// instead of an <see cref="InvalidRunStateTransitionException"/>.</param>
    /// <exception cref="InvalidRunStateTransitionException">Already running and <paramref name="runningOk"/> is false.</exception>
    public void Start(bool runningOk = false) => StartCore(runningOk);

    /// <summary>
    /// Requests cancellation, in any status: sets <see cref="IsCancelled"/>, moves Running or Paused to Stopping,
    /// cancels <see cref="Token"/> and every running child, releases every paused checkpoint and raises
    /// <see cref="Cancelled"/>. Idempotent: cancelling an already cancelled RunState does nothing.
    /// </summary>
    public void Cancel()
    {
        RunStateTransition? change = null;
        TaskCompletionSource? gate;
        CancellationTokenSource cts;
        RunState[]? children;
        lock (_lock)
        {
            // Invariant: CancelledFlag set implies Idle, Stopping or Stopped, where Cancel changes nothing more.
            if ((_flags & CancelledFlag) != 0)
            {
                return;
            }

            var from = _status;
            TryNext(from, CancelEvent, out var to); // Cancel is allowed in every status
            _status = to;
            _flags = (_flags | CancelledFlag) & ~PausedFlag;
            gate = _resumeGate;
            _resumeGate = null;
            cts = _cts;
            children = _runningChildren is { Count: > 0 } running ? [.. running] : null;
            if (from != to)
            {
                change = new RunStateTransition(Name, from, to, RunStateEvents.Cancel, _timeProvider.GetUtcNow()) { Sequence = ++_transitionCount };
            }
            AssertInvariants();
        }

        List<Exception>? errors = null;
        gate?.TrySetResult();
        CancelChildren(children, ref errors);
        try
        {
            cts.Cancel();
        }
        catch (AggregateException ex)
        {
            // Callbacks registered on Token by user code threw; they all ran.
            (errors ??= []).AddRange(ex.InnerExceptions);
        }

        if (change is not null)
        {
            StewardMetrics.RunStateTransition(Name, change.From, change.To);
            Raise(StateChanged, change, ref errors);
        }

        Raise(Cancelled, this, ref errors);
        ThrowIfAny(errors);
    }

    /// <summary>
    /// Pauses: Running → Paused (Paused stays Paused). Checkpoints then wait until <see cref="Resume"/>,
    /// <see cref="Cancel"/> or <see cref="Stop()"/>.
    /// </summary>
    /// <exception cref="InvalidRunStateTransitionException">Not Running or Paused.</exception>
    public void Pause()
    {
        RunStateTransition change;
        lock (_lock)
        {
            var from = _status;
            if (!TryNext(from, PauseEvent, out var to))
            {
                throw new InvalidRunStateTransitionException(Name, from, RunStateEvents.Pause);
            }

            if (from == to)
            {
                return;
            }

            _resumeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _status = to;
            _flags |= PausedFlag;
            change = new RunStateTransition(Name, from, to, RunStateEvents.Pause, _timeProvider.GetUtcNow()) { Sequence = ++_transitionCount };
            AssertInvariants();
        }

        List<Exception>? errors = null;
        StewardMetrics.RunStateTransition(Name, change.From, change.To);
        Raise(StateChanged, change, ref errors);
        ThrowIfAny(errors);
    }

    /// <summary>Resumes: Paused → Running, releasing every paused checkpoint.</summary>
    /// <exception cref="InvalidRunStateTransitionException">Not Paused.</exception>
    public void Resume()
    {
        RunStateTransition change;
        TaskCompletionSource? gate;
        lock (_lock)
        {
            var from = _status;
            if (!TryNext(from, ResumeEvent, out var to))
            {
                throw new InvalidRunStateTransitionException(Name, from, RunStateEvents.Resume);
            }

            gate = _resumeGate;
            _resumeGate = null;
            _status = to;
            _flags &= ~PausedFlag;
            change = new RunStateTransition(Name, from, to, RunStateEvents.Resume, _timeProvider.GetUtcNow()) { Sequence = ++_transitionCount };
            AssertInvariants();
        }

        gate?.TrySetResult();
        List<Exception>? errors = null;
        StewardMetrics.RunStateTransition(Name, change.From, change.To);
        Raise(StateChanged, change, ref errors);
        ThrowIfAny(errors);
    }

    /// <summary>
    /// Stops: Running, Paused or Stopping → Stopped. Sets <see cref="StopTime"/>, releases paused checkpoints,
    /// raises <see cref="StateChanged"/> then <see cref="Stopped"/>. Stopping does not cancel: <see cref="IsCancelled"/>
    /// keeps its value until the next <see cref="Start"/>.
    /// </summary>
    /// <exception cref="InvalidRunStateTransitionException">Not running.</exception>
    public void Stop() => StopCore(throwIfNotRunning: true);

    /// <summary>
    /// Stops, as <see cref="Stop()"/> does; with <paramref name="notRunningOk"/>, a RunState that is not running is left
    /// as it is instead of throwing (the counterpart of <see cref="Start"/>'s <c>runningOk</c>, for code that ends a run
    /// the run's body may already have stopped).
    /// </summary>
    /// <param name="notRunningOk">Return quietly when the RunState is not running.</param>
    /// <exception cref="InvalidRunStateTransitionException">Not running, and not <paramref name="notRunningOk"/>.</exception>
    public void Stop(bool notRunningOk) => StopCore(throwIfNotRunning: !notRunningOk);

    /// <summary>Start, returning whether this call started the RunState (false: it was running and runningOk).</summary>
    private bool StartCore(bool runningOk)
    {
        RunStateTransition change;
        lock (_lock)
        {
            var from = _status;
            if (!TryNext(from, StartEvent, out var to))
            {
                if (runningOk && IsRunningStatus(from))
                {
                    return false;
                }

                throw new InvalidRunStateTransitionException(Name, from, RunStateEvents.Start);
            }

            // The previous source is left to the GC rather than disposed: tokens taken from it may still be in use.
            _cts = new CancellationTokenSource();
            _flags = _pollCancel is null ? 0 : PollFlag;
            _status = to;
            var now = _timeProvider.GetUtcNow();
            _startTicks = now.UtcTicks;
            _stopTicks = NoTime;
            change = new RunStateTransition(Name, from, to, RunStateEvents.Start, now) { Sequence = ++_transitionCount };
            AssertInvariants();
        }

        List<Exception>? errors = null;
        StewardMetrics.RunStateTransition(Name, change.From, change.To);
        Raise(StateChanged, change, ref errors);
        Raise(Started, this, ref errors);

        // Joined after Started was raised, so observers of a child started under a cancelled parent see Started, then Cancelled.
        if (_parent is not null && _parent.AttachChild(this))
        {
            try
            {
                Cancel();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        ThrowIfAny(errors);
        return true;
    }

    /// <summary>Stop; returns false instead of throwing when not running and <paramref name="throwIfNotRunning"/> is false.</summary>
    private bool StopCore(bool throwIfNotRunning)
    {
        RunStateTransition change;
        TaskCompletionSource? gate;
        lock (_lock)
        {
            var from = _status;
            if (!TryNext(from, StopEvent, out var to))
            {
                return throwIfNotRunning
                    ? throw new InvalidRunStateTransitionException(Name, from, RunStateEvents.Stop)
                    : false;
            }

            gate = _resumeGate;
            _resumeGate = null;
            _status = to;
            _flags &= ~PausedFlag;
            var now = _timeProvider.GetUtcNow();
            _stopTicks = now.UtcTicks;
            change = new RunStateTransition(Name, from, to, RunStateEvents.Stop, now) { Sequence = ++_transitionCount };
            AssertInvariants();
        }

        gate?.TrySetResult();
        _parent?.DetachChild(this);
        List<Exception>? errors = null;
        StewardMetrics.RunStateTransition(Name, change.From, change.To);
        Raise(StateChanged, change, ref errors);
        Raise(Stopped, this, ref errors);
        ThrowIfAny(errors);
        return true;
    }

    private static void Raise<TArg>(Action<TArg>? handlers, TArg arg, ref List<Exception>? errors)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            try
            {
                handler(arg);
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }
    }

    private void ThrowIfAny(List<Exception>? errors)
    {
        if (errors is null)
        {
            return;
        }

        if (errors.Count == 1)
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }

        throw new AggregateException($"RunState '{Name}': {errors.Count} event handlers failed.", errors);
    }

    /// <summary>The invariants every transition keeps, checked under <c>_lock</c> at its end (Debug builds only).</summary>
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_lock.IsHeldByCurrentThread, "the transitions change state only under _lock");
        Debug.Assert(((_flags & PausedFlag) != 0) == (_status == RunStateStatus.Paused), "PausedFlag is set exactly while Paused");
        Debug.Assert((_resumeGate is not null) == (_status == RunStateStatus.Paused), "a resume gate exists exactly while Paused");
        Debug.Assert((_flags & CancelledFlag) == 0 || _status is RunStateStatus.Idle or RunStateStatus.Stopping or RunStateStatus.Stopped,
            "a cancelled RunState is Idle, Stopping or Stopped");
        Debug.Assert(!IsRunningStatus(_status) || (_startTicks != NoTime && _stopTicks == NoTime),
            "a running RunState has a start time and no stop time");
        Debug.Assert(_status != RunStateStatus.Stopped || _stopTicks != NoTime, "a Stopped RunState has a stop time");
    }
}
