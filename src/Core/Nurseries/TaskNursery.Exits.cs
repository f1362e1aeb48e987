using System.Runtime.CompilerServices;
using Steward.Diagnostics;
using Steward.Support;

namespace Steward.Nurseries;

// TaskNursery: resources and callbacks entered into the nursery, unwound when it closes.
public partial class TaskNursery
{
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

    /// <summary>
    /// Moves every running child and every entered resource and deferred callback to a new nursery (same policy and
    /// logger), so closing this one no longer touches them: hand over what a successful set-up started.
    /// </summary>
    /// <returns>The new nursery, which now owns them.</returns>
    /// <exception cref="ClosedException">This nursery is closed.</exception>
    public TaskNursery PopAll()
    {
        var successor = new TaskNursery(policy: _policy, logger: _logger);
        int moved;
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
                moved = _children.MoveTo(successor._children, successor);
                successor._exits = _exits.PopAll();
            }
        }

        StewardMetrics.NurseryChildren(Name, -moved);
        StewardMetrics.NurseryChildren(successor.Name, moved);
        return successor;
    }

    private void PushExit(object resource)
    {
        lock (_lock)
        {
            ThrowIfClosed("enter a resource");
            _exits.Push(resource);
        }
    }
}
