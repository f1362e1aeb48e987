using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Steward.Coordination;
using Steward.Support;

namespace Steward.Nurseries;

/// <summary>
/// Structured concurrency (codestare's <c>TaskNursery</c>, Trio's nursery): child tasks started through the nursery
/// never outlive it, and the resources entered into it are unwound, last in first out, when it closes.
/// </summary>
/// <remarks>
/// <para>
/// Each child gets a <see cref="CancellationToken"/> of its own, cancelled when the nursery closes (or by
/// <see cref="StopTaskAsync"/>); an <see cref="OperationCanceledException"/> through it is not a failure. Any other
/// exception is, including one a <c>work</c> delegate throws synchronously: <see cref="Start(Func{CancellationToken, Task}, string?)"/>
/// itself only throws for bad arguments or a closed nursery. Under <see cref="NurseryFailurePolicy.CancelAll"/> the
/// first failure closes the nursery; under <see cref="NurseryFailurePolicy.Isolate"/> it is logged and the others go on.
/// </para>
/// <para>
/// Closing (<see cref="Cancel"/>, <see cref="CloseAsync"/>, <see cref="DisposeAsync"/>, the constructor's token, or a
/// failure under CancelAll) happens once: no more children can start, every child is cancelled and awaited, the
/// entered resources and deferred callbacks are unwound, the name leaves <see cref="Registry"/>, and
/// <see cref="Completion"/> completes, faulted with an <see cref="AggregateException"/> of the failures (never of the
/// cancellations the close caused) if there were any.
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed partial class TaskNursery : IAsyncDisposable
{
    private static readonly Registry<TaskNursery> s_registry = new(nameof(TaskNursery));
    private static long s_unnamed;

    private readonly Lock _lock = new();
    private readonly NurseryFailurePolicy _policy;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _outerCancellation;

    // The running children: sharded, with locks of their own (see NurseryChildren).
    private readonly NurseryChildren _children = new();
    private readonly Func<bool> _isClosing;

    // Guarded by _lock.
    private AsyncExitStack _exits = new();
    private long _childIds;

    // CancelAll failures, and errors of cancellation callbacks and unwinding. Guarded by _failuresLock, which a child's
    // end takes inside its shard lock (see NurseryChildren.TryRemove): never take a shard lock while holding it.
    private readonly Lock _failuresLock = new();
    private List<Exception>? _failures;

    // Completed once closing began and no child is running; created before _closing is set, so whoever sees _closing
    // sees it too.
    private TaskCompletionSource? _drained;

    // Written under _lock; read without it. Once true, never false again.
    private volatile bool _closing;

    // Set once a close has thrown the failures, so a later DisposeAsync does not throw them again.
    private volatile bool _failuresThrown;

    /// <summary>Creates an open nursery and registers its name in <see cref="Registry"/>.</summary>
    /// <param name="name">A unique name among live nurseries; defaults to <c>TaskNursery-N</c>.</param>
    /// <param name="policy">What a child's failure does.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="cancellationToken">Closes the nursery when cancelled.</param>
    /// <exception cref="ArgumentException">A live nursery already has <paramref name="name"/>.</exception>
    public TaskNursery(
        string? name = null,
        NurseryFailurePolicy policy = NurseryFailurePolicy.CancelAll,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown NurseryFailurePolicy.");
        }

        Name = name ?? $"TaskNursery-{Interlocked.Increment(ref s_unnamed)}";
        _policy = policy;
        _logger = logger ?? NullLogger.Instance;
        _isClosing = () => _closing;
        s_registry.Register(Name, this);

        // Last: an already cancelled token closes the nursery right here, which needs every field set.
        _outerCancellation = cancellationToken.UnsafeRegister(static self => ((TaskNursery)self!).Cancel(), this);
    }

    /// <summary>Raised for every failed child, under both policies, after the failure was logged. A handler that throws
    /// is logged and does not disturb the nursery.</summary>
    public event Action<TaskNursery, Task, Exception>? ChildFailed;

    /// <summary>The live nurseries by name (a snapshot). Entries are weak: a nursery nobody references disappears.</summary>
    public static IReadOnlyDictionary<string, TaskNursery> Registry => s_registry.Snapshot();

    /// <summary>The nursery's unique name.</summary>
    public string Name { get; }

    /// <summary>The failure policy given at construction.</summary>
    public NurseryFailurePolicy Policy => _policy;

    /// <summary>Cancelled when the nursery begins to close.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>The children still running (a snapshot).</summary>
    public IReadOnlyCollection<Task> Tasks
    {
        get
        {
            return _children.Snapshot().Select(c => c.Task).ToArray();
        }
    }

    /// <summary>Completes when the nursery has closed; faulted with an <see cref="AggregateException"/> of the failures.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Whether the nursery has begun to close (no child can start any more).</summary>
    public bool IsClosed => _closing;

    private string DebuggerDisplay
    {
        get
        {
            return $"{Name}: {_children.Running} children, {_policy}{(_closing ? ", closing" : "")}";
        }
    }

    /// <summary>Starts <paramref name="work"/> as a child on the thread pool (asyncio's <c>create_task</c>, Trio's <c>start_soon</c>).</summary>
    /// <param name="work">The child's work; it receives the child's cancellation token.</param>
    /// <param name="name">A name for logs; defaults to <c>nursery#N</c>.</param>
    /// <returns>The child's task: completed, canceled (when stopped through its token) or faulted with its failure.</returns>
    /// <exception cref="ClosedException">The nursery is closed.</exception>
    public Task Start(Func<CancellationToken, Task> work, string? name = null)
    {
        Guard.NotNull(work, "TaskNursery", Name);
        return Launch(new NurseryChild<NoResult>(this, function: null, work, name, NextChildId())).Task;
    }

    /// <summary>Starts <paramref name="work"/> as a child that produces a value; see <see cref="Start(Func{CancellationToken, Task}, string?)"/>.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="work">The child's work; it receives the child's cancellation token.</param>
    /// <param name="name">A name for logs; defaults to <c>nursery#N</c>.</param>
    /// <returns>The child's task.</returns>
    /// <exception cref="ClosedException">The nursery is closed.</exception>
    public Task<T> Start<T>(Func<CancellationToken, Task<T>> work, string? name = null)
    {
        Guard.NotNull(work, "TaskNursery", Name);
        return Launch(new NurseryChild<T>(this, work, action: null, name, NextChildId())).TypedTask;
    }

    /// <summary>Cancels one child and waits for it to end; its cancellation is not a failure.</summary>
    /// <param name="task">A task returned by <see cref="Start(Func{CancellationToken, Task}, string?)"/> of this nursery.</param>
    /// <returns>A task that completes when the child has ended (it does not rethrow the child's failure, which the
    /// nursery handles by its policy).</returns>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not a child of this nursery.</exception>
    public async Task StopTaskAsync(Task task)
    {
        Guard.NotNull(task, "TaskNursery", Name);
        if (task.AsyncState is not NurseryChild child || !ReferenceEquals(child.Nursery, this) || !ReferenceEquals(child.Task, task))
        {
            throw new ArgumentException($"The task is not a child of TaskNursery '{Name}'.", nameof(task));
        }

        await child.Cancellation.CancelAsync().ConfigureAwait(false);
        await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Enters <paramref name="resource"/> into the nursery: it is disposed when the nursery closes, after every child has
    /// ended, in reverse order of entry. A <see cref="MultiOpen"/> is opened here and its lease closed then, instead.
    /// </summary>
    /// <typeparam name="T">The resource type.</typeparam>
    /// <param name="resource">The resource.</param>
    /// <param name="callerFile">Filled in by the compiler (the open site of a MultiOpen).</param>
    /// <param name="callerLine">Filled in by the compiler.</param>
    /// <param name="callerMember">Filled in by the compiler.</param>
    /// <returns><paramref name="resource"/>.</returns>
    /// <exception cref="ClosedException">The nursery is closed.</exception>
    public async ValueTask<T> EnterAsync<T>(
        T resource,
        [CallerFilePath] string callerFile = "",
        [CallerLineNumber] int callerLine = 0,
        [CallerMemberName] string callerMember = "")
        where T : IAsyncDisposable
    {
        Guard.NotNull(resource, "TaskNursery", Name);
        if (resource is not MultiOpen shared)
        {
            PushExit(resource);
            return resource;
        }

        ThrowIfClosed("enter a resource");
        var lease = await shared.OpenAsync(Token, callerFile, callerLine, callerMember).ConfigureAwait(false);
        try
        {
            PushExit(lease);
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return resource;
    }

    /// <summary>Pushes a callback to run when the nursery closes, after every child has ended, in reverse order.</summary>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ClosedException">The nursery is closed.</exception>
    public void Defer(Func<ValueTask> callback)
    {
        Guard.NotNull(callback, "TaskNursery", Name);
        lock (_lock)
        {
            ThrowIfClosed("defer a callback");
            _exits.Defer(callback);
        }
    }

    /// <summary>Begins closing (the sentinel of the original): see the remarks. Returns at once; idempotent.</summary>
    public void Cancel() => _ = BeginClose();

    /// <summary>
    /// Closes the nursery (see the remarks) and waits until it is closed: no child is running when this returns.
    /// </summary>
    /// <returns>A task that completes when the nursery is closed.</returns>
    /// <exception cref="AggregateException">Children failed (under CancelAll), or unwinding a resource failed; it holds
    /// the original exceptions and none of the cancellations the close caused.</exception>
    public async ValueTask CloseAsync()
    {
        var closed = BeginClose();
        await closed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (closed.Exception is { } failures)
        {
            _failuresThrown = true;
            throw failures;
        }
    }

    /// <summary>
    /// Closes the nursery like <see cref="CloseAsync"/>, so <c>await using</c> closes it at the end of the block and
    /// throws its failures there. Once the failures have been thrown by a close, later disposals (a DI container's, say)
    /// return quietly.
    /// </summary>
    /// <returns>A task that completes when the nursery is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        var closed = BeginClose();
        await closed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (closed.Exception is { } failures && !_failuresThrown)
        {
            _failuresThrown = true;
            throw failures;
        }
    }

    /// <summary>
    /// Gives up waiting for a close that has overrun its budget: <see cref="Completion"/> (and so
    /// <see cref="CloseAsync"/> and <see cref="DisposeAsync"/>) completes now, while the children still running are left
    /// to end, or not, and the entered resources are unwound if they do. For a host whose shutdown timeout has expired;
    /// does nothing unless a close has begun.
    /// </summary>
    internal void Abandon()
    {
        lock (_lock)
        {
            if (!_closing)
            {
                return;
            }
        }

        _failuresThrown = true; // the abandoning host has reported the failures it saw; a later disposal stays quiet
        _completion.TrySetResult();
    }

    /// <summary>Waits until the children running now have ended, without cancelling them and without rethrowing their
    /// failures (the policy handles those).</summary>
    /// <param name="ct">Cancels the wait (not the children).</param>
    /// <returns>A task that completes when they have ended.</returns>
    public async Task WhenAllAsync(CancellationToken ct = default)
    {
        var running = _children.Snapshot().Select(c => c.Task).ToArray();

        await Task.WhenAll(running).WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Moves every running child and every entered resource and deferred callback to a new nursery (same policy and
    /// logger), so closing this one no longer touches them: hand over what a successful set-up started.
    /// </summary>
    /// <returns>The new nursery, which now owns them.</returns>
    /// <exception cref="ClosedException">This nursery is closed.</exception>
    public TaskNursery PopAll()
    {
        var successor = new TaskNursery(policy: _policy, logger: _logger);
        lock (_lock)
        {
            if (_closing)
            {
                s_registry.Unregister(successor.Name, successor);
                ThrowIfClosed("pop its children");
            }

            // Lock order: the old owner, then the new one (only PopAll holds two).
            lock (successor._lock)
            {
                _children.MoveTo(successor._children, successor);
                successor._exits = _exits.PopAll();
            }
        }

        return successor;
    }

    /// <inheritdoc/>
    public override string ToString() => $"TaskNursery '{Name}'";

    /// <summary>Called by a child once its task has completed; finds its current owner (PopAll may move it).</summary>
    internal static void ChildEnded(NurseryChild child, Exception? failure)
    {
        TaskNursery owner;
        int running;
        bool firstFailure;
        do
        {
            owner = child.Nursery;

            // -1: moved by PopAll between the read and the lock. The failure is recorded before the child stops counting.
            running = owner._children.TryRemove(child, owner, failure, out firstFailure);
        }
        while (running < 0);

        if (failure is not null)
        {
            owner.ReportFailure(child, failure);
        }

        if (firstFailure)
        {
            owner.Cancel();
        }

        if (running == 0 && owner._closing)
        {
            owner._drained!.TrySetResult();
        }
    }

    /// <summary>
    /// Records a child's failure under CancelAll; called while the child still counts as running (see
    /// <see cref="NurseryChildren.TryRemove"/>), so no close can complete without it. Returns whether it is the first
    /// failure, which begins the close.
    /// </summary>
    internal bool RecordChildFailure(Exception failure)
    {
        if (_policy != NurseryFailurePolicy.CancelAll)
        {
            return false;
        }

        lock (_failuresLock)
        {
            (_failures ??= []).Add(failure);
        }

        return !_closing;
    }

    private long NextChildId() => Interlocked.Increment(ref _childIds);

    private TChild Launch<TChild>(TChild child)
        where TChild : NurseryChild
    {
        if (!_children.TryAdd(child, _isClosing))
        {
            ThrowIfClosed($"start '{child.Name}'");
        }

        child.Launch();
        return child;
    }

    private void PushExit(object resource)
    {
        lock (_lock)
        {
            ThrowIfClosed("enter a resource");
            _exits.Push(resource);
        }
    }

    private void ThrowIfClosed(string action)
    {
        if (_closing)
        {
            throw new ClosedException($"TaskNursery '{Name}' is closed: cannot {action}.");
        }
    }

    /// <summary>Starts the close once; every later call returns the same completion.</summary>
    private Task BeginClose()
    {
        lock (_lock)
        {
            if (_closing)
            {
                return _completion.Task;
            }

            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _closing = true;
        }

        // Every shard is locked in turn: launches in progress finish first, later ones see _closing and refuse.
        var running = _children.Snapshot();

        // Cancellation callbacks are user code: run them outside the lock, and keep their failures.
        List<Exception>? errors = null;
        CancelSafely(_cancellation, ref errors);
        foreach (var child in running)
        {
            CancelSafely(child.Cancellation, ref errors);
        }

        if (errors is not null)
        {
            lock (_failuresLock)
            {
                (_failures ??= []).AddRange(errors);
            }
        }

        if (_children.Running == 0)
        {
            _drained.TrySetResult(); // no child was left to complete it
        }

        _ = FinishCloseAsync();
        return _completion.Task;
    }

    private async Task FinishCloseAsync()
    {
        await _drained!.Task.ConfigureAwait(false);

        // Every child has ended: unwind what was entered, last in first out.
        AsyncExitStack exits;
        lock (_lock)
        {
            exits = _exits;
        }

        List<Exception>? errors = null;
        try
        {
            await exits.DisposeAsync().ConfigureAwait(false);
        }
        catch (AggregateException ex)
        {
            errors = [.. ex.InnerExceptions];
        }
        catch (Exception ex)
        {
            errors = [ex];
        }

        _outerCancellation.Unregister();
        s_registry.Unregister(Name, this);

        List<Exception>? failures;
        lock (_failuresLock)
        {
            if (errors is not null)
            {
                (_failures ??= []).AddRange(errors);
            }

            failures = _failures is null ? null : [.. _failures];
        }

        if (failures is { Count: > 0 })
        {
            LogClosedWithFailures(Name, failures.Count);
            _completion.TrySetException(failures);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    private static void CancelSafely(CancellationTokenSource source, ref List<Exception>? errors)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException ex)
        {
            (errors ??= []).AddRange(ex.InnerExceptions);
        }
    }

    private void ReportFailure(NurseryChild child, Exception failure)
    {
        if (_policy == NurseryFailurePolicy.CancelAll)
        {
            LogChildFailedCancelling(Name, child.Name, failure);
        }
        else
        {
            LogChildFailedIsolated(Name, child.Name, failure);
        }

        if (ChildFailed is not { } handlers)
        {
            return;
        }

        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            try
            {
                handler(this, child.Task, failure);
            }
            catch (Exception ex)
            {
                LogChildFailedHandlerThrew(Name, child.Name, ex);
            }
        }
    }

    /// <summary>The result type of children started without one.</summary>
    private readonly struct NoResult;
}
