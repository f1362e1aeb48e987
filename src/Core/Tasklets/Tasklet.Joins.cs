using Steward.Support;

namespace Steward.Tasklets;

/// <summary>Join callbacks.</summary>
public sealed partial class Tasklet
{
    private static readonly SendOrPostCallback s_runJoinCallbacks = static state => ((Tasklet)state!).RunJoinCallbacks();

    private readonly Lock _joinLock = new();
    private List<JoinCallback>? _joinCallbacks; // guarded by _joinLock; not yet run nor removed, in insertion order
    private int _lastJoinHandle;                // guarded by _joinLock
    private bool _joined;                       // guarded by _joinLock: finished, callbacks added now run from a queued item

    /// <summary>
    /// Adds a callback to run once when the tasklet finishes, on the loop thread, after the callbacks added before it.
    /// It receives the tasklet and its return value (null if the body failed). Added to a finished tasklet, it runs
    /// soon, asynchronously. A callback that throws is logged; the others still run.
    /// </summary>
    /// <param name="callback">The callback.</param>
    /// <returns>A handle for <see cref="RemoveJoinCallback"/>.</returns>
    public int AddJoinCallback(Action<Tasklet, object?> callback)
    {
        Guard.NotNull(callback, "Tasklet", Name);
        int handle;
        bool late;
        lock (_joinLock)
        {
            handle = ++_lastJoinHandle;
            (_joinCallbacks ??= []).Add(new JoinCallback(handle, callback));
            late = _joined;
        }

        if (late && !Loop.Enqueue(new WorkItem(WorkKind.Callback, this, s_runJoinCallbacks, this)))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static t => t.RunJoinCallbacks(), this, preferLocal: false); // the loop has ended
        }

        return handle;
    }

    /// <summary>Removes a join callback that has not run yet.</summary>
    /// <param name="handle">What <see cref="AddJoinCallback"/> returned.</param>
    /// <exception cref="InvalidOperationException">The handle is unknown, was already removed, or its callback has
    /// already run (or is running).</exception>
    public void RemoveJoinCallback(int handle)
    {
        if (!TryRemoveJoinCallback(handle))
        {
            throw new InvalidOperationException(
                $"Tasklet '{Name}': join callback {handle} cannot be removed: it has already run, was already removed, or was never added to this tasklet.");
        }
    }

    internal bool TryRemoveJoinCallback(int handle)
    {
        lock (_joinLock)
        {
            var index = _joinCallbacks?.FindIndex(c => c.Handle == handle) ?? -1;
            if (index < 0)
            {
                return false;
            }

            _joinCallbacks!.RemoveAt(index);
            return true;
        }
    }

    private void RunJoinCallbacks()
    {
        List<JoinCallback>? callbacks;
        lock (_joinLock)
        {
            _joined = true;
            callbacks = _joinCallbacks;
            _joinCallbacks = null;
        }

        if (callbacks is null)
        {
            return;
        }

        var returnValue = _returnValue;
        foreach (var callback in callbacks)
        {
            try
            {
                callback.Callback(this, returnValue);
            }
            catch (Exception ex)
            {
                TaskletLog.JoinCallbackFailed(Loop.Logger, ex, Name);
            }
        }
    }

    private readonly record struct JoinCallback(int Handle, Action<Tasklet, object?> Callback);
}
