using System.Diagnostics;

namespace Steward.Tasklets;

/// <summary>
/// A cooperative task on a <see cref="TaskletLoop"/>: an async body that suspends by awaiting
/// <see cref="WaitAsync(WaitCondition[])"/> on conditions (a timeout, a message, another tasklet, a socket, a process,
/// a signal, an event, a task, idleness) and exchanges <see cref="Message"/>s with other tasklets. Ported from
/// gtasklet's <c>Tasklet</c>.
/// </summary>
/// <remarks>
/// <para>
/// Create one with <see cref="TaskletLoop.Spawn"/>. The body runs on the loop's thread only, so tasklets of a loop never
/// race and need no locks between them. <see cref="WaitAsync(WaitCondition[])"/> (typed:
/// <see cref="WaitAsync{TResult}"/>, <see cref="ReceiveAsync"/>) and <see cref="SendAsync"/> must be called by the
/// tasklet itself (<see cref="Current"/>); <see cref="Post"/>, <see cref="AddJoinCallback"/>,
/// <see cref="RemoveJoinCallback"/> and the read-only members may be called from any thread.
/// </para>
/// <para>
/// When the body ends: its armed conditions are disarmed, undelivered messages are logged and dropped, the join callbacks
/// run (on the loop thread, in insertion order), then <see cref="Completion"/> completes: with the return value, faulted
/// with the body's exception (which is also logged; the other tasklets go on), or cancelled if the body ended with an
/// <see cref="OperationCanceledException"/> (as it does when <see cref="TaskletLoop.StopAsync"/> cancels its wait).
/// </para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed partial class Tasklet
{
    [ThreadStatic]
    private static Tasklet? s_current;

    private readonly Func<Tasklet, Task> _body;
    private readonly Func<Task, object?>? _extractResult;
    private readonly TaskCompletionSource<object?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskletWaiter _waiter;
    private Task? _bodyTask;
    private Action? _onBodyCompleted;

    // Written on the loop thread; read from any thread.
    private volatile TaskletState _state;
    private volatile object? _returnValue;

    internal Tasklet(TaskletLoop loop, Func<Tasklet, Task> body, Func<Task, object?>? extractResult, string name)
    {
        Loop = loop;
        Name = name;
        _body = body;
        _extractResult = extractResult;
        _waiter = new TaskletWaiter(this);
        Context = new TaskletSynchronizationContext(loop, this);
    }

    /// <summary>The tasklet running on the current thread: set on a loop thread while a tasklet body (or its
    /// continuation, join callback or message delivery) runs; <see langword="null"/> elsewhere.</summary>
    public static Tasklet? Current => s_current;

    /// <summary>The name given at spawn.</summary>
    public string Name { get; }

    /// <summary>The loop the tasklet runs on.</summary>
    public TaskletLoop Loop { get; }

    /// <summary>The current state.</summary>
    public TaskletState State => _state;

    /// <summary>Completes when the body has ended and the join callbacks have run: with the return value (null for a
    /// body without one), faulted with the body's exception, or cancelled. A failure is logged by the loop and marked
    /// observed, so a completion nobody awaits never raises <see cref="TaskScheduler.UnobservedTaskException"/>.</summary>
    public Task<object?> Completion => _completion.Task;

    /// <summary>The body's return value once finished; <see langword="null"/> before, and when it failed.</summary>
    public object? ReturnValue => _returnValue;

    internal TaskletSynchronizationContext Context { get; }

    private string DebuggerDisplay => $"{Name}: {_state}, {_armed.Count} conditions armed, {_inbox.Count} messages queued";

    /// <inheritdoc/>
    public override string ToString() => $"Tasklet '{Name}'";

    internal static void SetCurrent(Tasklet? tasklet) => s_current = tasklet;

    /// <summary>Runs the body up to its first suspension (loop thread, as this tasklet).</summary>
    internal void Start()
    {
        Task task;
        try
        {
            task = _body(this) ?? Task.FromException(new InvalidOperationException($"Tasklet '{Name}': its body returned a null Task."));
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }

        _bodyTask = task;
        if (task.IsCompleted)
        {
            Finish();
            return;
        }

        _onBodyCompleted = OnBodyCompleted;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onBodyCompleted);
    }

    /// <summary>Called on the loop thread by its resume item: continue the body after its wait.</summary>
    internal void Resume()
    {
        if (_state != TaskletState.Finished)
        {
            _state = TaskletState.Running;
        }

        _waiter.Resume();
    }

    private void OnBodyCompleted()
    {
        // The body's last step normally runs on the loop thread; if the body left it (ConfigureAwait(false)), marshal.
        // The loop cannot have ended: it ends only after every tasklet finished.
        if (Loop.IsLoopThread)
        {
            Finish();
        }
        else
        {
            Loop.Enqueue(new WorkItem(WorkKind.Callback, this, static s => ((Tasklet)s!).Finish(), this));
        }
    }

    private void Finish()
    {
        var task = _bodyTask!;
        object? result = null;
        Exception[]? failure = null;
        OperationCanceledException? cancellation = null;
        if (task.IsCompletedSuccessfully)
        {
            result = _extractResult?.Invoke(task);
        }
        else if (task.IsCanceled)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException ex)
            {
                cancellation = ex;
            }
        }
        else
        {
            var errors = task.Exception!.InnerExceptions;
            if (errors is [OperationCanceledException canceled])
            {
                cancellation = canceled; // thrown synchronously by a non-async body
            }
            else
            {
                failure = [.. errors];
            }
        }

        DisarmAll();
        _returnValue = result;
        _state = TaskletState.Finished;
        if (_inbox.Count > 0)
        {
            // Expected when the loop's stop ended the tasklet (a warning otherwise: a tasklet returned with work queued).
            var names = _inbox.DescribeNames(10);
            if (Loop.IsStopping)
            {
                TaskletLog.UndeliveredAtStop(Loop.Logger, Name, _inbox.Count, names);
            }
            else
            {
                TaskletLog.UndeliveredMessages(Loop.Logger, Name, _inbox.Count, names);
            }
            _inbox.Clear();
        }

        if (failure is not null)
        {
            TaskletLog.TaskletFailed(Loop.Logger, failure.Length == 1 ? failure[0] : new AggregateException(failure), Name, Loop.Name);
        }
        else if (cancellation is not null)
        {
            TaskletLog.TaskletCancelled(Loop.Logger, Name, Loop.Name);
        }

        RunJoinCallbacks();
        Loop.OnTaskletFinished(this);
        if (failure is not null)
        {
            _completion.TrySetException(failure);
            _ = _completion.Task.Exception; // observed: logged above, so no UnobservedTaskException if nobody awaits it
        }
        else if (cancellation is not null)
        {
            _completion.TrySetCanceled(cancellation.CancellationToken);
        }
        else
        {
            _completion.TrySetResult(result);
        }
    }
}
