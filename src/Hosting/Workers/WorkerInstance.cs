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
    private readonly Lock _lock = new();
    private volatile WorkerHealth _health = WorkerHealth.Starting;
    private volatile bool _pauseRequested;
    private volatile Exception? _lastError;
    private int _restarts;

    // Checkpoint sampling, guarded by _lock: the last count seen and when it was first seen.
    private long _sampledCheckpoints = -1;
    private DateTimeOffset? _lastCheckpoint;
    private bool _stallReported;

    public string Name { get; } = name;

    public int Index { get; } = index;

    public RunState RunState { get; } = runState;

    public TimeSpan? StallTimeout { get; set; } = stallTimeout;

    public int Restarts => Volatile.Read(ref _restarts);

    public bool PauseRequested => _pauseRequested;

    public void SetHealth(WorkerHealth health) => _health = health;

    public void RecordFailure(Exception error) => _lastError = error;

    public void RecordRestart() => Interlocked.Increment(ref _restarts);

    /// <summary>A new run begins: checkpoints are counted from now.</summary>
    public void BeginRun()
    {
        lock (_lock)
        {
            _sampledCheckpoints = RunState.Checkpoints;
            _lastCheckpoint ??= clock.GetUtcNow();
            _stallReported = false;
        }

        _health = WorkerHealth.Running;
    }

    /// <summary>Pauses now if running, and stays paused across restarts until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        _pauseRequested = true;
        ApplyPause();
    }

    /// <summary>Resumes now if paused, and no longer pauses new runs.</summary>
    public void Resume()
    {
        _pauseRequested = false;
        if (RunState.IsPaused)
        {
            TryTransition(RunState.Resume);
        }
    }

    /// <summary>Applies a pending pause request to a run that has just started.</summary>
    public void ApplyPause()
    {
        if (_pauseRequested && RunState.Status == RunStateStatus.Running)
        {
            TryTransition(RunState.Pause);
        }
    }

    /// <summary>Samples the checkpoint counter; returns true the first time the instance is found stalled.</summary>
    public bool Sample(DateTimeOffset now, out TimeSpan sinceCheckpoint)
    {
        lock (_lock)
        {
            var count = RunState.Checkpoints;
            if (count != _sampledCheckpoints)
            {
                _sampledCheckpoints = count;
                _lastCheckpoint = now;
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
        lock (_lock)
        {
            lastCheckpoint = _lastCheckpoint;
            stalled = IsStalled(now);
        }

        var health = _health;
        if (health == WorkerHealth.Running)
        {
            health = RunState.IsPaused ? WorkerHealth.Paused : stalled ? WorkerHealth.Stalled : WorkerHealth.Running;
        }

        return new WorkerStatus(Name, Index, RunState.Status, health, Restarts, _lastError, lastCheckpoint);
    }

    // Caller holds _lock. Only a running, unpaused run can stall.
    private bool IsStalled(DateTimeOffset now) =>
        StallTimeout is { } timeout
        && _health == WorkerHealth.Running
        && RunState.Status == RunStateStatus.Running
        && _lastCheckpoint is { } last
        && now - last > timeout;

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
