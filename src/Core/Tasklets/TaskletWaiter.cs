using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace Steward.Tasklets;

/// <summary>
/// The reusable source behind every <see cref="ValueTask"/> that <see cref="Tasklet.WaitAsync(WaitCondition[])"/>, its
/// typed overload, <see cref="Tasklet.ReceiveAsync"/> and <see cref="Tasklet.SendAsync"/> return: one per tasklet, so
/// suspending and resuming allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Not thread-safe by design: every member runs on the loop thread (the awaiting body, the firing condition and the
/// loop's resume item all do). The version guards against a stale <see cref="ValueTask"/> being awaited twice.
/// </para>
/// <para>
/// Two steps: <see cref="SetResult"/>/<see cref="SetException"/> make the outcome available; the loop's resume item
/// (<see cref="Resume"/>) then reports completion and runs the continuation. The status stays Pending until that
/// resume item ran, so an awaiter never continues inline inside whoever completed the wait: the tasklet always
/// resumes from its own queue entry, on the loop thread, with <see cref="Tasklet.Current"/> set.
/// </para>
/// </remarks>
[DebuggerDisplay("version {_version}, active {_active}, completed {_completed}, released {_released}")]
internal sealed class TaskletWaiter : IValueTaskSource<object>, IValueTaskSource
{
    private static readonly ContextCallback s_runInContext = static state =>
    {
        var (continuation, continuationState) = ((Action<object?>, object?))state!;
        continuation(continuationState);
    };

    private readonly Tasklet _tasklet;
    private short _version;
    private bool _active;     // a ValueTask was handed out and its result not yet taken
    private bool _completed;  // the outcome is set
    private bool _released;   // the resume item ran: the awaiter may see completion
    private object? _result;
    private Exception? _error;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private ExecutionContext? _executionContext;
    private Typed? _typed;    // the typed views made so far, one per result type

    public TaskletWaiter(Tasklet tasklet)
    {
        _tasklet = tasklet;
    }

    /// <summary>A ValueTask from this source is outstanding (handed out, result not yet taken).</summary>
    public bool IsActive => _active;

    /// <summary>Starts a wait; returns the token for the ValueTask.</summary>
    public short Begin()
    {
        Debug.Assert(!_active);
        _active = true;
        _completed = false;
        _released = false;
        return _version;
    }

    public void SetResult(object? result)
    {
        Debug.Assert(_active && !_completed);
        _result = result;
        _completed = true;
        ScheduleResumeIfAwaited();
    }

    public void SetException(Exception error)
    {
        Debug.Assert(_active && !_completed);
        _error = error;
        _completed = true;
        ScheduleResumeIfAwaited();
    }

    /// <summary>The loop's resume item: report completion and run the continuation (if registered yet).</summary>
    public void Resume()
    {
        if (!_completed)
        {
            return;
        }

        _released = true;
        var continuation = _continuation;
        if (continuation is null)
        {
            return;
        }

        var state = _continuationState;
        var context = _executionContext;
        _continuation = null;
        _continuationState = null;
        _executionContext = null;
        if (context is null)
        {
            continuation(state);
        }
        else
        {
            ExecutionContext.Run(context, s_runInContext, (continuation, state));
        }
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        ValidateToken(token);
        if (!_released)
        {
            return ValueTaskSourceStatus.Pending;
        }

        return _error switch
        {
            null => ValueTaskSourceStatus.Succeeded,
            OperationCanceledException => ValueTaskSourceStatus.Canceled,
            _ => ValueTaskSourceStatus.Faulted,
        };
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        ValidateToken(token);
        if (_continuation is not null)
        {
            throw new InvalidOperationException($"Tasklet '{_tasklet.Name}': its wait is already being awaited; a ValueTask can be awaited once.");
        }

        // The continuation always runs on the loop thread (the tasklet's synchronization context), so
        // UseSchedulingContext needs nothing more. The execution context is captured only when asked: async methods
        // flow it themselves and do not ask.
        if ((flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0)
        {
            _executionContext = ExecutionContext.Capture();
        }

        _continuation = continuation;
        _continuationState = state;
        if (_completed)
        {
            _tasklet.Loop.EnqueueResume(_tasklet);
        }
    }

    /// <summary>This source as an <see cref="IValueTaskSource{TResult}"/> of <typeparamref name="TResult"/>: itself for
    /// <see cref="object"/>, else a view made once per tasklet and result type.</summary>
    public IValueTaskSource<TResult> SourceOf<TResult>()
        where TResult : class
    {
        if (this is IValueTaskSource<TResult> self)
        {
            return self;
        }

        for (var view = _typed; view is not null; view = view.Next)
        {
            if (view is IValueTaskSource<TResult> typed)
            {
                return typed;
            }
        }

        var made = new Typed<TResult>(this, _typed);
        _typed = made;
        return made;
    }

    object IValueTaskSource<object>.GetResult(short token) => TakeResult(token)!;

    void IValueTaskSource.GetResult(short token) => TakeResult(token);

    private object? TakeResult(short token)
    {
        ValidateToken(token);
        if (!_completed)
        {
            throw new InvalidOperationException(
                $"Tasklet '{_tasklet.Name}': its wait has not completed; await the ValueTask instead of reading its result.");
        }

        var result = _result;
        var error = _error;
        _result = null;
        _error = null;
        _active = false;
        _completed = false;
        _released = false;
        _version++;
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    private void ScheduleResumeIfAwaited()
    {
        // Not awaited yet (the body holds the ValueTask without awaiting it): OnCompleted schedules the resume.
        if (_continuation is not null)
        {
            _tasklet.Loop.EnqueueResume(_tasklet);
        }
    }

    private void ValidateToken(short token)
    {
        if (token != _version || !_active)
        {
            throw new InvalidOperationException(
                $"Tasklet '{_tasklet.Name}': this wait's ValueTask was already consumed; a ValueTask can be awaited once.");
        }
    }

    /// <summary>A link of the chain of typed views.</summary>
    private abstract class Typed(Typed? next)
    {
        public Typed? Next { get; } = next;
    }

    /// <summary>The waiter as a source of <typeparamref name="TResult"/>: the caller made sure every result of the wait
    /// is one.</summary>
    private sealed class Typed<TResult>(TaskletWaiter waiter, Typed? next) : Typed(next), IValueTaskSource<TResult>
        where TResult : class
    {
        public ValueTaskSourceStatus GetStatus(short token) => waiter.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            waiter.OnCompleted(continuation, state, token, flags);

        public TResult GetResult(short token) => (TResult)waiter.TakeResult(token)!;
    }
}
