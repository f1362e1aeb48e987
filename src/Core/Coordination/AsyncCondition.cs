using System.Diagnostics;
using Steward.Support;

namespace Steward.Coordination;

/// <summary>
/// An asynchronous condition variable with its own lock: take the lock with <see cref="LockAsync"/>, wait for a state
/// change with <see cref="WaitAsync"/> or <see cref="WaitForAsync"/>, and announce one with <see cref="Notify"/> or
/// <see cref="NotifyAll"/>. Ported from Python's <c>asyncio.Condition</c>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="WaitAsync"/>, <see cref="WaitForAsync"/>, <see cref="Notify"/> and <see cref="NotifyAll"/> must be called
/// while holding the lock. A wait releases the lock while waiting and takes it again before returning, also when it is
/// cancelled (then it throws <see cref="OperationCanceledException"/> holding the lock).
/// </para>
/// <para>
/// No wake-up is lost: a waiter that is notified and cancelled at the same moment passes its notification on to the
/// next waiter. The lock is fair: waiters get it in arrival order. It is not re-entrant and does not track its owner,
/// so only the holder should release it (by disposing what <see cref="LockAsync"/> returned).
/// </para>
/// </remarks>
[DebuggerDisplay("AsyncCondition: locked={IsLocked}, {WaiterCount} waiting")]
public sealed class AsyncCondition
{
    private readonly AsyncMutex _mutex = new();
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new(); // guarded by _gate, in arrival order
    private int _waiterCount;                              // _waiters.Count, written under _gate, read without it

    /// <summary>Whether the lock is held now.</summary>
    public bool IsLocked => _mutex.IsHeld;

    /// <summary>How many flows are waiting for a notification.</summary>
    public int WaiterCount
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>Takes the lock; dispose the result to release it (once; later disposals do nothing).</summary>
    /// <param name="cancellationToken">Cancels the wait for the lock.</param>
    /// <returns>The releaser.</returns>
    public async ValueTask<IDisposable> LockAsync(CancellationToken cancellationToken = default)
    {
        await _mutex.AcquireAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_mutex);
    }

    /// <summary>
    /// Releases the lock, waits for <see cref="Notify"/> or <see cref="NotifyAll"/>, then takes the lock again.
    /// Call it while holding the lock.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the lock is taken again before the exception is thrown.</param>
    /// <returns>A task that completes, holding the lock, after a notification.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public async Task WaitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotLocked(nameof(WaitAsync));
        var waiter = new Waiter();
        lock (_gate)
        {
            waiter.Node = _waiters.AddLast(waiter);
            Volatile.Write(ref _waiterCount, _waiters.Count);
        }

        _mutex.Release();
        try
        {
            await waiter.Signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Withdraw(waiter);
            await _mutex.AcquireAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await _mutex.AcquireAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until <paramref name="predicate"/> holds: tests it (holding the lock) and waits for a notification
    /// between tests. Call it while holding the lock; returns holding it.
    /// </summary>
    /// <param name="predicate">The condition to wait for, evaluated under the lock.</param>
    /// <param name="cancellationToken">Cancels the wait; the lock is taken again before the exception is thrown.</param>
    /// <returns>A task that completes, holding the lock, once the predicate is true.</returns>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public async Task WaitForAsync(Func<bool> predicate, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(predicate, "AsyncCondition");
        ThrowIfNotLocked(nameof(WaitForAsync));
        while (!predicate())
        {
            await WaitAsync(cancellationToken).ConfigureAwait(false);
        }
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

    /// <summary>Takes the lock without a releaser object (for Steward's own primitives built on the condition).</summary>
    internal ValueTask AcquireAsync(CancellationToken cancellationToken) => _mutex.AcquireAsync(cancellationToken);

    /// <summary>Releases the lock taken by <see cref="AcquireAsync"/>.</summary>
    internal void Release() => _mutex.Release();

    /// <summary>Wakes every waiter; the caller holds the lock. Costs one read when nobody waits.</summary>
    internal void WakeAll()
    {
        if (Volatile.Read(ref _waiterCount) > 0)
        {
            Wake(int.MaxValue);
        }
    }

    private void Wake(int n)
    {
        if (n == 0)
        {
            return;
        }

        Waiter? single = null;
        List<Waiter>? several = null;
        lock (_gate)
        {
            while (n-- > 0 && _waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                Volatile.Write(ref _waiterCount, _waiters.Count);
                first.Value.Node = null; // marks it notified: see Withdraw
                if (single is null)
                {
                    single = first.Value;
                }
                else
                {
                    (several ??= []).Add(first.Value);
                }
            }
        }

        // Completed outside _gate; the continuations run asynchronously and then queue for the lock.
        single?.Signal.TrySetResult();
        several?.ForEach(w => w.Signal.TrySetResult());
    }

    /// <summary>A cancelled waiter leaves the queue; if a notification reached it first, it passes that on.</summary>
    private void Withdraw(Waiter waiter)
    {
        bool notified;
        lock (_gate)
        {
            notified = waiter.Node is null;
            if (!notified)
            {
                _waiters.Remove(waiter.Node!);
                Volatile.Write(ref _waiterCount, _waiters.Count);
                waiter.Node = null;
            }
        }

        if (notified)
        {
            Wake(1);
        }
    }

    private void ThrowIfNotLocked(string operation)
    {
        if (!_mutex.IsHeld)
        {
            throw new InvalidOperationException(
                $"AsyncCondition.{operation} must be called while holding the lock (await condition.LockAsync() first).");
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Its place in the queue; null once notified or withdrawn. Guarded by the condition's _gate.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }
    }

    private sealed class Releaser(AsyncMutex mutex) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                mutex.Release();
            }
        }
    }
}
