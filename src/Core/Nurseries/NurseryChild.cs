namespace Steward.Nurseries;

/// <summary>
/// One child of a <see cref="TaskNursery"/>: its own cancellation source (so <see cref="TaskNursery.StopTaskAsync"/>
/// can stop it alone) and the task handed to the caller, whose <see cref="Task.AsyncState"/> is this object: that is
/// how a nursery recognises its own tasks in O(1) without keeping the finished ones.
/// </summary>
internal abstract class NurseryChild
{
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

    /// <summary>Cancelled by the nursery's close or by <see cref="TaskNursery.StopTaskAsync"/>. Never disposed: it has
    /// no timer and is not linked, and a late StopTaskAsync may still cancel it.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>The given name, or "nursery#id" (formatted only when asked for).</summary>
    public string Name => _name ?? $"{Nursery.Name}#{Id}";

    /// <summary>The task the caller of Start got.</summary>
    public abstract Task Task { get; }

    /// <summary>Runs the work on the thread pool, flowing the starter's execution context (as Task.Run does).</summary>
    public void Launch() => ThreadPool.QueueUserWorkItem(static child => _ = child.RunAsync(), this, preferLocal: false);

    /// <summary>Runs the work, completes <see cref="Task"/>, then reports the end to the nursery. Never throws.</summary>
    protected abstract Task RunAsync();
}

/// <summary>A child whose work produces a <typeparamref name="T"/> (or nothing, for <see cref="TaskNursery.Start(Func{CancellationToken, Task}, string?)"/>).</summary>
internal sealed class NurseryChild<T> : NurseryChild
{
    private readonly Func<CancellationToken, Task<T>>? _function;
    private readonly Func<CancellationToken, Task>? _action;
    private readonly TaskCompletionSource<T> _completion;

    public NurseryChild(TaskNursery nursery, Func<CancellationToken, Task<T>>? function, Func<CancellationToken, Task>? action, string? name, long id)
        : base(nursery, name, id)
    {
        _function = function;
        _action = action;
        _completion = new TaskCompletionSource<T>(this, TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public override Task Task => _completion.Task;

    public Task<T> TypedTask => _completion.Task;

    protected override async Task RunAsync()
    {
        var token = Cancellation.Token;
        Exception? failure = null;
        T result = default!;
        try
        {
            // Inside the try: a delegate that throws synchronously is a child failure too, never Start's exception.
            if (_function is not null)
            {
                result = await _function(token).ConfigureAwait(false);
            }
            else
            {
                await _action!(token).ConfigureAwait(false);
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
