using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Steward.Support;

namespace Steward.Tasklets;

/// <summary>
/// A single-threaded loop of tasklets: one dedicated thread runs every tasklet body and every wait-condition callback
/// of the loop, so its tasklets never race with each other. It takes the place of the GLib main loop under gtasklet.
/// </summary>
/// <remarks>
/// <para>
/// The thread starts with the loop and runs a work queue. It installs a synchronization context, so every
/// <c>await</c> inside a tasklet body resumes on the loop thread, as that tasklet (<see cref="Tasklet.Current"/>). Do
/// not use <c>ConfigureAwait(false)</c> in tasklet bodies: the code after it would run off the loop.
/// Work is taken in rounds: the items queued from other threads are appended to the ready queue, then exactly the
/// items present run, so a busy pair of tasklets cannot starve the rest.
/// </para>
/// <para>
/// <see cref="StopAsync"/> (or <see cref="DisposeAsync"/>) cancels <see cref="StoppingToken"/>, makes every pending and
/// later <see cref="Tasklet.WaitAsync(WaitCondition[])"/> throw <see cref="OperationCanceledException"/>, waits until
/// every tasklet has ended, then ends the thread. A tasklet awaiting something else (a <see cref="Task"/> that never
/// completes) keeps it waiting: pass <see cref="StoppingToken"/> to such awaits.
/// </para>
/// <para>Thread safety: <see cref="Spawn"/>, <see cref="StopAsync"/> and the read-only members may be called from any thread.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed partial class TaskletLoop : IAsyncDisposable
{
    private static readonly SendOrPostCallback s_startTasklet = static state => ((Tasklet)state!).Start();
    private static readonly SendOrPostCallback s_beginStop = static state => ((TaskletLoop)state!).BeginStop();
    private static long s_unnamed;

    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly int _threadId;
    private readonly TaskletSynchronizationContext _context;
    private readonly CancellationTokenSource _stoppingCts = new();

    // The live tasklets: added by Spawn (any thread), removed when they finish (loop thread). _stopped is created by
    // the first StopAsync; from then on Spawn refuses, so the set only shrinks and the loop ends when it is empty.
    private readonly Lock _liveLock = new();
    private readonly HashSet<Tasklet> _live = [];
    private TaskCompletionSource? _stopped;
    private volatile bool _stopping;
    private long _spawned;

    /// <summary>Creates the loop and starts its thread.</summary>
    /// <param name="name">A name for the thread, messages and logs; defaults to <c>TaskletLoop-N</c>.</param>
    /// <param name="logger">Receives tasklet failures and dropped messages; defaults to no logging.</param>
    /// <param name="timeProvider">The clock of <see cref="WaitFor.Timeout(TimeSpan)"/> conditions armed on this loop;
    /// defaults to <see cref="TimeProvider.System"/>.</param>
    public TaskletLoop(string? name = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        Name = name ?? $"TaskletLoop-{Interlocked.Increment(ref s_unnamed)}";
        _logger = logger ?? NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _context = new TaskletSynchronizationContext(this, null);
        _thread = new Thread(Run) { IsBackground = true, Name = $"TaskletLoop {Name}" };
        _threadId = _thread.ManagedThreadId;
        _thread.Start();
    }

    /// <summary>The name given at construction.</summary>
    public string Name { get; }

    /// <summary>The managed thread id of the loop thread, on which every tasklet body of this loop runs.</summary>
    public int ManagedThreadId => _threadId;

    /// <summary>The clock of the timeouts armed on this loop.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Cancelled when <see cref="StopAsync"/> begins; pass it to awaits inside tasklet bodies that are not
    /// tasklet waits, so they end too.</summary>
    public CancellationToken StoppingToken => _stoppingCts.Token;

    /// <summary><see langword="true"/> once <see cref="StopAsync"/> was called.</summary>
    public bool IsStopping => _stopping;

    /// <summary>The number of tasklets spawned and not yet finished.</summary>
    public int Count
    {
        get
        {
            lock (_liveLock)
            {
                return _live.Count;
            }
        }
    }

    /// <summary><see langword="true"/> on the loop thread.</summary>
    internal bool IsLoopThread => Environment.CurrentManagedThreadId == _threadId;

    internal ILogger Logger => _logger;

    private string DebuggerDisplay => $"{Name}: {Count} tasklets{(_stopping ? ", stopping" : "")}";

    /// <summary>Spawns a tasklet running <paramref name="body"/>. It starts asynchronously, on the loop thread; the
    /// returned tasklet can be given messages at once (they queue until it waits for them).</summary>
    /// <param name="body">The tasklet body; it receives its own tasklet.</param>
    /// <param name="name">A name for messages and logs; defaults to <c>tasklet-N</c>.</param>
    /// <returns>The tasklet, in state <see cref="TaskletState.Running"/>.</returns>
    /// <exception cref="ClosedException">The loop is stopping or stopped.</exception>
    public Tasklet Spawn(Func<Tasklet, Task> body, string? name = null)
    {
        Guard.NotNull(body, "TaskletLoop", Name);
        return SpawnCore(body, null, name);
    }

    /// <summary>Spawns a tasklet whose body returns a value: it becomes <see cref="Tasklet.ReturnValue"/>, the result of
    /// <see cref="Tasklet.Completion"/>, and what join callbacks and <see cref="WaitFor.Tasklet"/> receive.</summary>
    /// <typeparam name="T">The body's result type.</typeparam>
    /// <param name="body">The tasklet body; it receives its own tasklet.</param>
    /// <param name="name">A name for messages and logs; defaults to <c>tasklet-N</c>.</param>
    /// <returns>The tasklet, in state <see cref="TaskletState.Running"/>.</returns>
    /// <exception cref="ClosedException">The loop is stopping or stopped.</exception>
    public Tasklet Spawn<T>(Func<Tasklet, Task<T>> body, string? name = null)
    {
        Guard.NotNull(body, "TaskletLoop", Name);
        return SpawnCore(body, ResultOf<T>.Extract, name);
    }

    /// <summary>
    /// Stops the loop: cancels <see cref="StoppingToken"/>, makes every pending and later tasklet wait throw
    /// <see cref="OperationCanceledException"/>, and completes once every tasklet has ended (each tasklet's
    /// <see cref="Tasklet.Completion"/> is then cancelled, faulted or completed by its body's reaction) and the loop
    /// thread has exited. Idempotent: later calls return the same completion.
    /// </summary>
    /// <remarks>Do not await it from a tasklet of this loop: it completes only after that tasklet has ended too.</remarks>
    /// <param name="cancellationToken">Means "no longer graceful", as the token of <c>IHostedService.StopAsync</c> does:
    /// if it is cancelled before every tasklet has ended, the stop is abandoned. This and every later stop or dispose then
    /// complete at once, the tasklets still running are left to end, or not, on the loop's background thread, and this
    /// throws <see cref="OperationCanceledException"/>. For a host whose shutdown timeout has expired.</param>
    /// <returns>Completes when the loop has stopped.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first: the stop was
    /// abandoned.</exception>
    public ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        var stopping = BeginStopping();
        return !cancellationToken.CanBeCanceled || stopping.IsCompleted
            ? new ValueTask(stopping)
            : StopOrAbandonAsync(stopping, cancellationToken);
    }

    private async ValueTask StopOrAbandonAsync(Task stopping, CancellationToken cancellationToken)
    {
        await stopping.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!stopping.IsCompleted)
        {
            Abandon();
            throw new OperationCanceledException(
                $"TaskletLoop '{Name}': the stop was abandoned with {Count} tasklet(s) still running.", cancellationToken);
        }

        await stopping.ConfigureAwait(false);
    }

    /// <summary>Begins the stop (the first call) and returns its completion.</summary>
    private Task BeginStopping()
    {
        TaskCompletionSource stopped;
        var first = false;
        lock (_liveLock)
        {
            if (_stopped is null)
            {
                _stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _stopping = true;
                first = true;
            }

            stopped = _stopped;
        }

        if (first)
        {
            // The loop cannot have ended: it ends only after a stop began.
            Enqueue(new WorkItem(WorkKind.Callback, null, s_beginStop, this));
        }

        return stopped.Task;
    }

    /// <summary>
    /// Gives up waiting for a stop that has overrun its budget: the stop's completion (and so <see cref="StopAsync"/>
    /// and <see cref="DisposeAsync"/>) completes now, while the tasklets still running are left to end, or not, on the
    /// loop's background thread. For a host whose shutdown timeout has expired; does nothing unless a stop has begun.
    /// </summary>
    private void Abandon()
    {
        TaskCompletionSource? stopped;
        lock (_liveLock)
        {
            stopped = _stopped;
        }

        stopped?.TrySetResult();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    /// <returns>Completes when the loop has stopped.</returns>
    public ValueTask DisposeAsync() => StopAsync(CancellationToken.None);

    /// <inheritdoc/>
    public override string ToString() => $"TaskletLoop '{Name}'";

    /// <summary>Called by a tasklet when it finished (loop thread).</summary>
    internal void OnTaskletFinished(Tasklet tasklet)
    {
        lock (_liveLock)
        {
            _live.Remove(tasklet);
            if (_stopped is not null && _live.Count == 0)
            {
                _exitRequested = true;
            }
        }
    }

    /// <summary>The exception a wait gets once the loop is stopping.</summary>
    internal OperationCanceledException StoppingException(Tasklet tasklet) =>
        new($"TaskletLoop '{Name}' is stopping: the wait of tasklet '{tasklet.Name}' is cancelled.", _stoppingCts.Token);

    private Tasklet SpawnCore(Func<Tasklet, Task> body, Func<Task, object?>? extractResult, string? name)
    {
        var tasklet = new Tasklet(this, body, extractResult, name ?? $"tasklet-{Interlocked.Increment(ref _spawned)}");
        lock (_liveLock)
        {
            if (_stopped is not null)
            {
                throw new ClosedException($"TaskletLoop '{Name}' is stopping or stopped: cannot spawn tasklet '{tasklet.Name}'.");
            }

            _live.Add(tasklet);
        }

        Enqueue(new WorkItem(WorkKind.Callback, tasklet, s_startTasklet, tasklet));
        return tasklet;
    }

    private void BeginStop()
    {
        try
        {
            _stoppingCts.Cancel();
        }
        catch (AggregateException ex)
        {
            TaskletLog.StoppingCallbackFailed(_logger, ex, Name);
        }

        Tasklet[] live;
        lock (_liveLock)
        {
            live = [.. _live];
            if (live.Length == 0)
            {
                _exitRequested = true;
            }
        }

        foreach (var tasklet in live)
        {
            tasklet.CancelWait(StoppingException(tasklet));
        }
    }

    private static class ResultOf<T>
    {
        // Called only for a body that completed successfully (Tasklet.Finish): reading the result does not block.
        public static readonly Func<Task, object?> Extract = static task => ((Task<T>)task).Result;
    }
}
