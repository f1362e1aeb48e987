using System.Diagnostics.CodeAnalysis;

namespace Steward.Nurseries;

/// <summary>
/// One child of a <see cref="TaskNursery"/>: its own cancellation source (so <see cref="TaskNursery.StopTaskAsync"/>
/// can stop it alone) and the task handed to the caller, whose <see cref="Task.AsyncState"/> is this object: that is
/// how a nursery recognises its own tasks in O(1) without keeping the finished ones.
/// </summary>
/// <remarks>
/// The child <em>is</em> its cancellation source (it derives from <see cref="CancellationTokenSource"/>) and its own
/// thread-pool work item: one object per child instead of three, which is most of what a nursery of a hundred thousand
/// children costs beyond <c>Task.Run</c>. The source has no timer and is never linked, so it needs no disposal.
/// </remarks>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "See remarks.")]
internal abstract class NurseryChild : CancellationTokenSource, IThreadPoolWorkItem
{
    // The execution context of the Start call, flowed into the work as Task.Run does (captured, not copied: no
    // allocation unless the starter has async-local state).
    private readonly ExecutionContext? _context = ExecutionContext.Capture();
    private readonly string? _name;
    private volatile TaskNursery _nursery;

    protected NurseryChild(TaskNursery nursery, string? name, long id)
    {
        _nursery = nursery;
        _name = name;
        Id = id;
    }

    /// <summary>The nursery that owns the child now (<see cref="TaskNursery.PopAll"/> moves children); written under
    /// the old owner's lock.</summary>
    public TaskNursery Nursery
    {
        get => _nursery;
        set => _nursery = value;
    }

    public long Id { get; }

    /// <summary>Links of its shard's <see cref="NurseryChildList"/>; guarded by that shard's lock.</summary>
    public NurseryChild? Previous { get; set; }

    public NurseryChild? Next { get; set; }

    /// <summary>Cancelled by the nursery's close or by <see cref="TaskNursery.StopTaskAsync"/> (the child itself). Never
    /// disposed: it has no timer and is not linked, and a late StopTaskAsync may still cancel it.</summary>
    public CancellationTokenSource Cancellation => this;

    /// <summary>The given name, or "nursery#id" (formatted only when asked for).</summary>
    public string Name => _name ?? $"{Nursery.Name}#{Id}";

    /// <summary>The task the caller of Start got.</summary>
    public abstract Task Task { get; }

    /// <summary>Runs the work on the thread pool, flowing the starter's execution context (as Task.Run does).</summary>
    public void Launch() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    /// <summary>The thread pool runs the work here.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_context is null)
        {
            _ = RunAsync();
        }
        else
        {
            ExecutionContext.Run(_context, static child => _ = ((NurseryChild)child!).RunAsync(), this);
        }
    }

    /// <summary>Runs the work, completes <see cref="Task"/>, then reports the end to the nursery. Never throws.</summary>
    protected abstract Task RunAsync();
}

/// <summary>A child whose work produces a <typeparamref name="T"/> (or nothing, for <see cref="TaskNursery.Start(Func{CancellationToken, Task}, string?)"/>).</summary>
internal sealed class NurseryChild<T> : NurseryChild
{
    private readonly Delegate _work; // Func<CancellationToken, Task<T>>, or Func<CancellationToken, Task> for no result
    private readonly TaskCompletionSource<T> _completion;

    public NurseryChild(TaskNursery nursery, Func<CancellationToken, Task<T>>? function, Func<CancellationToken, Task>? action, string? name, long id)
        : base(nursery, name, id)
    {
        _work = (Delegate?)function ?? action!;
        _completion = new TaskCompletionSource<T>(this, TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public override Task Task => _completion.Task;

    public Task<T> TypedTask => _completion.Task;

    protected override async Task RunAsync()
    {
        var token = Token;
        Exception? failure = null;
        T result = default!;
        try
        {
            // Inside the try: a delegate that throws synchronously is a child failure too, never Start's exception.
            if (_work is Func<CancellationToken, Task<T>> function)
            {
                result = await function(token).ConfigureAwait(false);
            }
            else
            {
                await ((Func<CancellationToken, Task>)_work)(token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        // A cancellation through this child's token (the nursery's close, or StopTaskAsync) is not a failure.
        var canceled = failure is OperationCanceledException && token.IsCancellationRequested;
        if (canceled)
        {
            failure = null;
            _completion.TrySetCanceled(token);
        }
        else if (failure is not null)
        {
            _completion.TrySetException(failure);
            _ = _completion.Task.Exception; // observed: the nursery reports it, so no UnobservedTaskException
        }
        else
        {
            _completion.TrySetResult(result);
        }

        // The task completes before the nursery hears of it: once a nursery has seen every child end, none is running.
        TaskNursery.ChildEnded(this, failure);
    }
}
