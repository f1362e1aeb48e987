using System.Diagnostics;

namespace Steward.Coordination;

/// <summary>
/// A fair (first come, first served) asynchronous mutual-exclusion lock without owner tracking: the core of
/// <see cref="AsyncCondition"/>. Ownership passes directly from the releaser to the oldest waiter, so a newcomer can
/// never overtake a waiter.
/// </summary>
[DebuggerDisplay("AsyncMutex: held={_held}, {_waiters.Count} waiting")]
internal sealed class AsyncMutex
{
    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new(); // guarded by _gate
    private bool _held;                                                  // guarded by _gate (read without it only as a spin hint)

    /// <summary>Whether some flow holds the lock.</summary>
    public bool IsHeld
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>Takes the lock; completes synchronously, allocation-free, when it is free.</summary>
    /// <param name="ct">Cancels the wait; a waiter that was already handed the lock keeps it.</param>
    /// <returns>A task that completes once the caller holds the lock.</returns>
    public ValueTask AcquireAsync(CancellationToken ct)
    {
        // Critical sections under this lock are a few instructions long: spin briefly (never sleeping) before queueing,
        // which spares an asynchronous wait (and a thread hop) for most contended acquisitions. A spinner cannot barge
        // past queued waiters: a release with waiters hands the lock over and never clears _held.
        if (Volatile.Read(ref _held))
        {
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _held) && !spinner.NextSpinWillYield)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }

        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            if (!_held)
            {
                _held = true;
                return default;
            }

            if (ct.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(ct);
            }

            node = _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        return WaitAsync(node, ct);
    }

    /// <summary>Releases the lock, handing it to the oldest waiter if there is one.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Release()
    {
        TaskCompletionSource? next = null;
        lock (_gate)
        {
            if (!_held)
            {
                throw new InvalidOperationException("The async lock is released but nobody holds it.");
            }

            if (_waiters.First is { } first)
            {
                _waiters.RemoveFirst(); // ownership passes to it: _held stays true
                next = first.Value;
            }
            else
            {
                _held = false;
            }
        }

        next?.TrySetResult(); // outside the lock: the new owner runs asynchronously anyway
    }

    private async ValueTask WaitAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken ct)
    {
        try
        {
            await node.Value.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            lock (_gate)
            {
                // Still queued: withdraw. Already dequeued: Release handed us the lock, so we own it and keep it.
                if (node.List is null)
                {
                    return;
                }

                _waiters.Remove(node);
            }

            throw;
        }
    }
}
