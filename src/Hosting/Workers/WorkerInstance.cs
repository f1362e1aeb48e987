using System.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// What the controller knows of one worker instance: its RunState, health, restarts, last error and checkpoint samples,
/// and whether it should be paused. Written by its supervisor (or background service) and the controller; read by
/// status queries from any thread.
/// </summary>
[DebuggerDisplay("{Name,nq}#{Index}: {_health}")]
internal sealed class WorkerInstance(string name, int index, RunState runState, TimeSpan? stallTimeout, TimeProvider clock)
{
    private volatile WorkerHealth _health = WorkerHealth.Starting;
    private volatile bool _pauseRequested;
    private volatile Exception? _lastError;
    private int _restarts;
    private int _started; // 1 once its first run began (or ended trying); see RunStateController.WorkerStarted

    // Checkpoint sampling, guarded by lock (this): the instance is internal and never handed out, so nothing else can
    // lock it, and a host with thousands of instances is spared a Lock object each. The fields: the last count seen and
    // when it was first seen (reported as the last checkpoint), and the stall baseline: the later of that, the run's
    // start and its last resume. A restarted or resumed run is given its whole StallTimeout before it counts as stalled.
    private long _sampledCheckpoints = -1;
    private DateTimeOffset? _lastCheckpoint;
    private DateTimeOffset? _stallBaseline;
    private bool _stallReported;

    public string Name { get; } = name;

    public int Index { get; } = index;

    public RunState RunState { get; } = runState;

    public TimeSpan? StallTimeout { get; set; } = stallTimeout;

    public int Restarts => Volatile.Read(ref _restarts);

    public bool PauseRequested => _pauseRequested;

    /// <summary>For a clustered instance, its lease slot and the coordinator that holds it; null otherwise.</summary>
    public (ClusterCoordinator Coordinator, LeaseSlot Slot)? Cluster { get; init; }

    public void SetHealth(WorkerHealth health) => _health = health;

    public void RecordFailure(Exception error) => _lastError = error;

    public void RecordRestart() => Interlocked.Increment(ref _restarts);

    /// <summary>Marks the instance started; true the first time only.</summary>
    public bool MarkStarted() => Interlocked.Exchange(ref _started, 1) == 0;

    /// <summary>A new run begins: checkpoints are counted from now.</summary>
    public void BeginRun()
    {
        lock (this)
        {
            var now = clock.GetUtcNow();
            _sampledCheckpoints = RunState.Checkpoints;
            _lastCheckpoint ??= now;
            _stallBaseline = now;
            _stallReported = false;
        }

        _health = WorkerHealth.Running;
    }

    /// <summary>Pauses now if running, and stays paused across restarts until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        _pauseRequested = true;
        Interlocked.MemoryBarrier(); // the request is visible before Converge reads the status (no store-load reordering)
        Converge();
    }

    /// <summary>Resumes now if paused, and no longer pauses new runs.</summary>
    public void Resume()
    {
        _pauseRequested = false;
        Interlocked.MemoryBarrier(); // as in Pause
        Converge();
    }

    /// <summary>Applies a pending pause request to a run that has just started.</summary>
    public void ApplyPause() => Converge();

    /// <summary>
    /// Brings the run to the requested pause state. Invariant: the request is written before converging, and each pass
    /// re-reads it after its transition, so when a Pause and a Resume race the run ends as the last request says (the
    /// loser's transition is undone by its own next pass or by the winner's).
    /// </summary>
    private void Converge()
    {
        while (true)
        {
            var pause = _pauseRequested;
            var status = RunState.Status;
            if (pause && status == RunStateStatus.Running)
            {
                TryTransition(RunState.Pause);
            }
            else if (!pause && status == RunStateStatus.Paused)
            {
                RestartStallClock(); // before the resume, so no sample sees a resumed run against the old baseline
                TryTransition(RunState.Resume);
            }
            else
            {
                return; // as requested, or the run is not running (starting, stopping or stopped): nothing to do
            }
        }
    }

    /// <summary>Samples the checkpoint counter; returns true the first time the instance is found stalled.</summary>
    public bool Sample(DateTimeOffset now, out TimeSpan sinceCheckpoint)
    {
        lock (this)
        {
            var count = RunState.Checkpoints;
            if (count != _sampledCheckpoints)
            {
                _sampledCheckpoints = count;
                _lastCheckpoint = now;
                _stallBaseline = now;
                _stallReported = false;
            }

            sinceCheckpoint = _lastCheckpoint is { } last ? now - last : TimeSpan.Zero;
            if (!IsStalled(now) || _stallReported)
            {
                return false;
            }

            _stallReported = true;
            return true;
        }
    }

    public WorkerStatus Snapshot(DateTimeOffset now)
    {
        Sample(now, out _);
        DateTimeOffset? lastCheckpoint;
        bool stalled;
        lock (this)
        {
            lastCheckpoint = _lastCheckpoint;
            stalled = IsStalled(now);
        }

        var health = _health;
        if (health == WorkerHealth.Running)
        {
            health = RunState.IsPaused ? WorkerHealth.Paused : stalled ? WorkerHealth.Stalled : WorkerHealth.Running;
        }

        return new WorkerStatus(Name, Index, RunState.Status, health, Restarts, _lastError, lastCheckpoint)
        {
            Cluster = Cluster is var (coordinator, slot) ? coordinator.Status(slot) : null,
        };
    }

    // Caller holds lock (this). Only a running, unpaused run can stall.
    private bool IsStalled(DateTimeOffset now) =>
        StallTimeout is { } timeout
        && _health == WorkerHealth.Running
        && RunState.Status == RunStateStatus.Running
        && _stallBaseline is { } since
        && now - since > timeout;

    private void RestartStallClock()
    {
        lock (this)
        {
            _stallBaseline = clock.GetUtcNow();
            _stallReported = false;
        }
    }

    private static void TryTransition(Action transition)
    {
        try
        {
            transition();
        }
        catch (InvalidRunStateTransitionException)
        {
            // The run moved on meanwhile (it was cancelled or stopped): nothing to pause or resume any more.
        }
    }
}
