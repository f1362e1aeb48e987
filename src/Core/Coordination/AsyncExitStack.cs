using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Steward.Support;

namespace Steward.Coordination;

/// <summary>
/// A stack of teardown actions unwound last-in first-out by <see cref="DisposeAsync"/>. Every action runs even when an
/// earlier one throws; the failures are rethrown afterwards: the exception itself if one failed, an
/// <see cref="AggregateException"/> if several did. Ported from Python's <c>contextlib.AsyncExitStack</c>.
/// </summary>
/// <remarks>Thread-safe. <see cref="DisposeAsync"/> is idempotent; pushing onto a disposed stack throws
/// <see cref="ObjectDisposedException"/>.</remarks>
[DebuggerDisplay("AsyncExitStack: {Count} actions")]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix",
    Justification = "Named after Python's contextlib.AsyncExitStack, which it ports; the name is part of the design.")]
public sealed class AsyncExitStack : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private List<object> _actions = []; // IAsyncDisposable, IDisposable, Func<ValueTask> or Action; guarded by _lock
    private bool _disposed;             // guarded by _lock

    /// <summary>The number of pending teardown actions.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _actions.Count;
            }
        }
    }

    /// <summary>
    /// Pushes <paramref name="disposable"/> to be disposed when the stack unwinds: asynchronously if it is
    /// <see cref="IAsyncDisposable"/>, otherwise synchronously if it is <see cref="IDisposable"/>.
    /// </summary>
    /// <typeparam name="T">The resource type.</typeparam>
    /// <param name="disposable">The resource.</param>
    /// <returns><paramref name="disposable"/>, for <c>var x = stack.Push(new X());</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="disposable"/> is neither IAsyncDisposable nor IDisposable.</exception>
    /// <exception cref="ObjectDisposedException">The stack has been unwound.</exception>
    public T Push<T>(T disposable)
        where T : notnull
    {
        Guard.NotNull(disposable, "AsyncExitStack");
        object action = disposable switch
        {
            IAsyncDisposable asyncDisposable => asyncDisposable,
            IDisposable syncDisposable => syncDisposable,
            _ => throw new ArgumentException(
                $"AsyncExitStack.Push: {disposable.GetType()} is neither IAsyncDisposable nor IDisposable; use Defer for a callback.",
                nameof(disposable)),
        };
        Add(action);
        return disposable;
    }

    /// <summary>Pushes an asynchronous callback to run when the stack unwinds.</summary>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ObjectDisposedException">The stack has been unwound.</exception>
    public void Defer(Func<ValueTask> callback)
    {
        Guard.NotNull(callback, "AsyncExitStack");
        Add(callback);
    }

    /// <summary>Pushes a callback to run when the stack unwinds.</summary>
    /// <param name="callback">The callback.</param>
    /// <exception cref="ObjectDisposedException">The stack has been unwound.</exception>
    public void Defer(Action callback)
    {
        Guard.NotNull(callback, "AsyncExitStack");
        Add(callback);
    }

    /// <summary>
    /// Moves every pending action to a new stack and leaves this one empty, so unwinding this one no longer touches
    /// them: use it to hand the resources over once set-up has succeeded.
    /// </summary>
    /// <returns>The new stack, owning the actions in the same order.</returns>
    /// <exception cref="ObjectDisposedException">The stack has been unwound.</exception>
    public AsyncExitStack PopAll()
    {
        var moved = new AsyncExitStack();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (moved._actions, _actions) = (_actions, moved._actions);
        }

        return moved;
    }

    /// <summary>
    /// Runs every pending action, last pushed first. Each runs even if an earlier one threw; then the single
    /// failure is rethrown as is, or several as an <see cref="AggregateException"/> in unwinding order.
    /// </summary>
    /// <returns>A task that completes when every action has run.</returns>
    public async ValueTask DisposeAsync()
    {
        List<object> actions;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            actions = _actions;
            _actions = [];
        }

        List<Exception>? errors = null;
        for (var i = actions.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (actions[i])
                {
                    case Func<ValueTask> asyncCallback:
                        await asyncCallback().ConfigureAwait(false);
                        break;
                    case Action callback:
                        callback();
                        break;
                    case var resource:
                        await Disposal.DisposeAsync(resource).ConfigureAwait(false);
                        break;
                }
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }

        if (errors is null)
        {
            return;
        }

        if (errors.Count == 1)
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }

        throw new AggregateException($"AsyncExitStack: {errors.Count} teardown actions failed.", errors);
    }

    private void Add(object action)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _actions.Add(action);
        }
    }
}
