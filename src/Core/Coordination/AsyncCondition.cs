using System.Diagnostics;
using Steward.Support;

namespace Steward.Coordination;

/// <summary>
/// An asynchronous condition variable on an <see cref="AsyncLock"/>: take the lock with <see cref="LockAsync"/>, wait for
/// a state change with <see cref="WaitAsync"/> or <see cref="WaitForAsync"/>, and announce one with <see cref="Notify"/>
/// or <see cref="NotifyAll"/>. Ported from Python's <c>asyncio.Condition</c>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="WaitAsync"/>, <see cref="WaitForAsync"/>, <see cref="Notify"/> and <see cref="NotifyAll"/> must be called
/// while holding the lock. A wait releases the lock while waiting and takes it again before returning, also when it is
/// cancelled (then it throws <see cref="OperationCanceledException"/> holding the lock).
/// </para>
/// <para>
/// A notification moves the waiter straight into the lock's queue: when the notifier releases the lock, the waiter is
/// handed it and resumes holding it, with no second wake-up. No wake-up is lost: a waiter notified before its
/// cancellation returns normally. The lock is fair: waiters get it in arrival order. Several conditions may share one
/// lock (pass it to each constructor).
/// </para>
/// </remarks>
[DebuggerDisplay("AsyncCondition: locked={IsLocked}, {WaiterCount} waiting")]
public sealed class AsyncCondition
{
    private readonly AsyncLock _lock;

    // The waiters not yet notified, oldest first, linked through the waiters. Guarded by the lock's gate.
    private LockWaiter? _first;
    private LockWaiter? _last;
    private int _waiterCount; // written under the gate, read without it

    /// <summary>Creates a condition on <paramref name="lock"/>, or on a lock of its own.</summary>
    /// <param name="lock">The lock to share with other conditions; <see langword="null"/> for a new one.</param>
    public AsyncCondition(AsyncLock? @lock = null) => _lock = @lock ?? new AsyncLock();

    /// <summary>The lock this condition waits on.</summary>
    public AsyncLock Lock => _lock;

    /// <summary>Whether the lock is held now.</summary>
    public bool IsLocked => _lock.IsHeld;

    /// <summary>How many flows are waiting for a notification.</summary>
    public int WaiterCount => Volatile.Read(ref _waiterCount);

    /// <summary>Takes the lock (see <see cref="AsyncLock.LockAsync"/>); dispose the result once to release it.</summary>
    /// <param name="cancellationToken">Cancels the wait for the lock.</param>
    /// <returns>The releaser.</returns>
    public ValueTask<AsyncLock.Releaser> LockAsync(CancellationToken cancellationToken = default) =>
        _lock.LockAsync(cancellationToken);

    /// <summary>
    /// Releases the lock, waits for <see cref="Notify"/> or <see cref="NotifyAll"/>, then takes the lock again.
    /// Call it while holding the lock.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is taken again before the task is cancelled. Already
    /// cancelled: the task is cancelled at once, the lock still held.</param>
    /// <returns>A task that completes, holding the lock, after a notification.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotLocked(nameof(WaitAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new LockWaiter(_lock, this);
        lock (_lock.Gate)
        {
            LockWaiter.Append(waiter, ref _first, ref _last);
            waiter.Place = WaiterPlace.ConditionQueue;
            Volatile.Write(ref _waiterCount, _waiterCount + 1);
        }

        _lock.Release();
        waiter.WatchCancellation(cancellationToken);
        return waiter.Task;
    }

    /// <summary>
    /// Waits until <paramref name="predicate"/> holds: tests it (holding the lock) and waits for a notification
    /// between tests. Call it while holding the lock; returns holding it.
    /// </summary>
    /// <param name="predicate">The condition to wait for, evaluated under the lock.</param>
    /// <param name="cancellationToken">Cancels the wait; the lock is taken again before the exception is thrown.</param>
    /// <returns>A task that completes, holding the lock, once the predicate is true; already completed if it is now.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public Task WaitForAsync(Func<bool> predicate, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(predicate, "AsyncCondition");
        ThrowIfNotLocked(nameof(WaitForAsync));
        return predicate() ? Task.CompletedTask : WaitUntilAsync(predicate, cancellationToken);
    }

    /// <summary>Wakes up to <paramref name="n"/> waiters, oldest first. Call it while holding the lock.</summary>
    /// <param name="n">How many waiters to wake.</param>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public void Notify(int n = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ThrowIfNotLocked(nameof(Notify));
        Wake(n);
    }

    /// <summary>Wakes every waiter. Call it while holding the lock.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void NotifyAll()
    {
        ThrowIfNotLocked(nameof(NotifyAll));
        Wake(int.MaxValue);
    }

    /// <summary>Takes the lock without a releaser (for Steward's own primitives built on the condition).</summary>
    internal ValueTask AcquireAsync(CancellationToken cancellationToken) => _lock.AcquireAsync(cancellationToken);

    /// <summary>Releases the lock taken by <see cref="AcquireAsync"/>.</summary>
    internal void Release() => _lock.Release();

    /// <summary>Wakes every waiter; the caller holds the lock. Costs one read when nobody waits.</summary>
    internal void WakeAll()
    {
        if (Volatile.Read(ref _waiterCount) > 0)
        {
            Wake(int.MaxValue);
        }
    }

    /// <summary>Takes a waiter out of the queue (its cancellation). Caller holds the lock's gate.</summary>
    internal void Remove(LockWaiter waiter)
    {
        LockWaiter.Unlink(waiter, ref _first, ref _last);
        Volatile.Write(ref _waiterCount, _waiterCount - 1);
    }

    private async Task WaitUntilAsync(Func<bool> predicate, CancellationToken cancellationToken)
    {
        do
        {
            await WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        while (!predicate());
    }

    private void Wake(int n)
    {
        if (n == 0 || Volatile.Read(ref _waiterCount) == 0)
        {
            return;
        }

        lock (_lock.Gate)
        {
            // The notifier holds the lock, so each waiter only queues for it here: it is handed the lock, and completes,
            // when the notifier (and anyone queued before it) releases. Nothing is completed under the gate.
            while (n-- > 0 && _first is { } waiter)
            {
                Remove(waiter);
                var granted = _lock.EnqueueHoldingGate(waiter);
                Debug.Assert(!granted, "the notifier holds the lock, so a notified waiter queues for it");
            }
        }
    }

    private void ThrowIfNotLocked(string operation)
    {
        if (!_lock.IsHeld)
        {
            throw new InvalidOperationException(
                $"AsyncCondition.{operation} must be called while holding the lock (await condition.LockAsync() first).");
        }
    }
}
