using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Steward.Coordination;
using Steward.Diagnostics;
using Steward.Support;

namespace Steward.Nurseries;

/// <summary>
/// Structured concurrency: child tasks started through the nursery never outlive it, and the resources entered into it
/// are unwound, last in first out, when it closes. Ported from codestare's <c>TaskNursery</c> (after Trio's nursery).
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

    /// <summary><see langword="true"/> once the nursery has begun to close: no child can start any more. Stays true once
    /// it is closed.</summary>
    public bool IsClosing => _closing;

    /// <summary><see langword="true"/> once the nursery is closed: no child is running and its resources are unwound (or
    /// the close was abandoned); <see cref="Completion"/> has completed.</summary>
    public bool IsClosed => _completion.Task.IsCompleted;

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

    /// <inheritdoc/>
    public override string ToString() => $"TaskNursery '{Name}'";

    private long NextChildId() => Interlocked.Increment(ref _childIds);

    private TChild Launch<TChild>(TChild child)
        where TChild : NurseryChild
    {
        if (!_children.TryAdd(child, _isClosing))
        {
            ThrowIfClosed($"start '{child.Name}'");
        }

        StewardMetrics.NurseryChildren(Name, +1);
        child.Launch();
        return child;
    }

    private void ThrowIfClosed(string action)
    {
        if (_closing)
        {
            throw new ClosedException($"TaskNursery '{Name}' is closed: cannot {action}.");
        }
    }

    /// <summary>The result type of children started without one.</summary>
    private readonly struct NoResult;
}
