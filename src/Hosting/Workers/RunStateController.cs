using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// The <see cref="IRunStateController"/>: owns the host RunState, knows every worker instance, and records the exit
/// code Steward decided (the most severe wins: a forced exit over a shutdown timeout over a failure).
/// </summary>
[DebuggerDisplay("Steward controller: {_instances.Count} instances, exit code {ExitCode}")]
internal sealed partial class RunStateController(
    IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<RunStateController> logger) : IRunStateController
{
    private readonly Lock _lock = new();
    private readonly List<WorkerInstance> _instances = []; // guarded by _lock
    private int _exitCode;
    private string? _coordinationProblem;
    private int _workersToStart;
    private readonly TaskCompletionSource _workersStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RunState Host { get; } = new("host", clock);

    public TimeProvider Clock => clock;

    /// <summary>Completes once every supervised worker instance has begun its first run (or ended trying): when the
    /// service is ready, as systemd's READY=1 says.</summary>
    public Task WorkersStarted => _workersStarted.Task;

    /// <summary>Raised when the reload signal begins a configuration reload (systemd's RELOADING=1).</summary>
    public event Action? Reloading;

    /// <summary>Raised when a reload has been applied, or has failed and the previous settings stay (READY=1 again).</summary>
    public event Action? Reloaded;

    /// <summary>The exit code decided so far (0 until something went wrong).</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    public IReadOnlyList<WorkerStatus> Workers
    {
        get
        {
            var now = clock.GetUtcNow();
            return Instances.Select(i => i.Snapshot(now)).ToArray();
        }
    }

    internal WorkerInstance[] Instances
    {
        get
        {
            lock (_lock)
            {
                return [.. _instances];
            }
        }
    }

    /// <summary>Sets how many supervised instances <see cref="WorkersStarted"/> waits for (once, at start).</summary>
    public void ExpectWorkers(int count)
    {
        if (Interlocked.Add(ref _workersToStart, count) <= 0)
        {
            _workersStarted.TrySetResult();
        }
    }

    /// <summary>A supervised instance began its first run (or ended trying); counted once per instance.</summary>
    public void WorkerStarted(WorkerInstance instance)
    {
        if (instance.MarkStarted() && Interlocked.Decrement(ref _workersToStart) == 0)
        {
            _workersStarted.TrySetResult();
        }
    }

    /// <summary>Raises <see cref="Reloading"/>.</summary>
    public void OnReloading() => Reloading?.Invoke();

    /// <summary>Raises <see cref="Reloaded"/>.</summary>
    public void OnReloaded() => Reloaded?.Invoke();

    /// <summary>Why the cluster's coordination database cannot be used now (the health check is Degraded); null while it
    /// can or when there is no coordination.</summary>
    public string? CoordinationProblem
    {
        get => Volatile.Read(ref _coordinationProblem);
        set => Volatile.Write(ref _coordinationProblem, value);
    }

    public WorkerInstance Register(string name, int index, RunState runState, TimeSpan? stallTimeout, (ClusterCoordinator, LeaseSlot)? cluster = null)
    {
        var instance = new WorkerInstance(name, index, runState, stallTimeout, clock) { Cluster = cluster };
        lock (_lock)
        {
            _instances.Add(instance);
        }

        return instance;
    }

    public void PauseAll()
    {
        foreach (var instance in Instances)
        {
            instance.Pause();
        }

        WorkersLog.PausedAll(logger, Instances.Length);
    }

    public void ResumeAll()
    {
        foreach (var instance in Instances)
        {
            instance.Resume();
        }

        WorkersLog.ResumedAll(logger, Instances.Length);
    }

    public void Pause(string worker)
    {
        foreach (var instance in Named(worker))
        {
            instance.Pause();
        }
    }

    public void Resume(string worker)
    {
        foreach (var instance in Named(worker))
        {
            instance.Resume();
        }
    }

    /// <summary>Records an exit code (the most severe one wins) and stops the application.</summary>
    public void Exit(int code, string reason)
    {
        RecordExitCode(code, reason);
        lifetime.StopApplication();
    }

    /// <summary>Records an exit code (the most severe one wins) without stopping: the stop is already under way.</summary>
    public void RecordExitCode(int code, string reason)
    {
        int current;
        do
        {
            current = Volatile.Read(ref _exitCode);
        }
        while (code > current && Interlocked.CompareExchange(ref _exitCode, code, current) != current);

        WorkersLog.Exit(logger, code, reason);
    }

    private WorkerInstance[] Named(string worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var all = Instances;
        var named = Array.FindAll(all, i => string.Equals(i.Name, worker, StringComparison.OrdinalIgnoreCase));
        if (named.Length == 0)
        {
            var known = string.Join(", ", all.Select(i => i.Name).Distinct());
            throw new ArgumentException($"No worker is named '{worker}' (workers: {(known.Length == 0 ? "none" : known)}).", nameof(worker));
        }

        return named;
    }
}
