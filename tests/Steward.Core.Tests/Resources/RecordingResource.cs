using System.Collections.Concurrent;
using Steward.Coordination;

namespace Steward.Tests.Resources;

/// <summary>A MultiOpen that records its startups and shutdowns and can be held inside either by a gate.</summary>
internal sealed class RecordingResource(string name = "recording") : MultiOpen(name)
{
    private int _active;

    public ConcurrentQueue<string> Log { get; } = new();

    public int Startups;
    public int Shutdowns;
    public int Overlaps;

    /// <summary>If set, startup awaits it (so a test can hold startup in progress).</summary>
    public TaskCompletionSource? StartupGate { get; set; }

    /// <summary>If set, shutdown awaits it.</summary>
    public TaskCompletionSource? ShutdownGate { get; set; }

    /// <summary>Completed when a startup begins.</summary>
    public TaskCompletionSource StartupBegan { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when a shutdown begins.</summary>
    public TaskCompletionSource ShutdownBegan { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>If set, startup throws it (after pushing a teardown step) while it returns non-null.</summary>
    public Func<Exception?>? StartupFailure { get; set; }

    public void AssertOpen() => ThrowIfClosed();

    protected override async ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _active) != 1)
        {
            Interlocked.Increment(ref Overlaps);
        }

        Interlocked.Increment(ref Startups);
        Log.Enqueue("up");
        StartupBegan.TrySetResult();
        try
        {
            if (StartupGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            shutdown.Defer(async () =>
            {
                if (Interlocked.Increment(ref _active) != 1)
                {
                    Interlocked.Increment(ref Overlaps);
                }

                Log.Enqueue("down-begin");
                ShutdownBegan.TrySetResult();
                if (ShutdownGate is { } shutdownGate)
                {
                    await shutdownGate.Task;
                }

                Interlocked.Increment(ref Shutdowns);
                Log.Enqueue("down-end");
                Interlocked.Decrement(ref _active);
            });

            if (StartupFailure?.Invoke() is { } failure)
            {
                throw failure;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }
}
