using System.Collections.Concurrent;

namespace Steward.Hosting.Tests.Support;

/// <summary>Shared with the test workers through DI: what they did, and knobs to steer them.</summary>
internal sealed class Probe
{
    private int _attempts;

    private long _iterations;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Iterations the counting workers completed (each right after passing a checkpoint).</summary>
    public long Iterations => Interlocked.Read(ref _iterations);

    public void Iterated() => Interlocked.Increment(ref _iterations);

    /// <summary>How many runs fail before the runs succeed (-1: every run fails).</summary>
    public int FailTimes { get; set; }

    /// <summary>Completed when a run gets past its failures and is running.</summary>
    public TaskCompletionSource Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>If set, every run after the first waits for it before failing (so a test controls when it fails).</summary>
    public SemaphoreSlim? FailGate { get; set; }

    public ConcurrentQueue<RunState> RunStates { get; } = new();

    public ConcurrentQueue<IServiceProvider> Scopes { get; } = new();

    public int NextAttempt() => Interlocked.Increment(ref _attempts);
}
