namespace Steward.Coordination;

/// <summary>
/// One flow waiting for an <see cref="AsyncLock"/>: its own queue node and its own completion (whose task is what the flow
/// awaits), so a wait costs this object and its task. It completes only holding the lock (successfully, or cancelled for a
/// cancelled condition wait, which takes the lock back first), or cancelled without it (a withdrawn acquirer).
/// </summary>
/// <remarks>
/// A condition wait is the same waiter on a longer path: queued on the condition, moved by a notification (or its own
/// cancellation) to the lock's queue, and completed when the lock is handed to it. So a notified waiter goes from the
/// notifier's release straight to holding the lock, with no extra wake-up and no second queueing.
/// </remarks>
internal sealed class LockWaiter : TaskCompletionSource<AsyncLock.Releaser>
{
    private readonly AsyncLock _lock;
    private readonly AsyncCondition? _condition;
    private CancellationTokenRegistration _registration; // guarded by the gate; taken by whoever dequeues the waiter
    private CancellationToken _cancelledBy;              // a condition wait cancelled: completes cancelled, holding the lock
    private readonly int _suspendedHolding;              // a condition wait: the holding it resumes (see AsyncLock.Releaser)

    public LockWaiter(AsyncLock @lock, AsyncCondition? condition)
        : base(TaskCreationOptions.RunContinuationsAsynchronously) // a release never runs the new owner on its own stack
    {
        _lock = @lock;
        _condition = condition;
        if (condition is not null)
        {
            _suspendedHolding = @lock.Holding; // made by the holder, before its wait releases the lock
        }
    }

    // Queue links and place: guarded by the lock's gate.
    public LockWaiter? Previous { get; set; }

    public LockWaiter? Next { get; set; }

    public WaiterPlace Place { get; set; }

    /// <summary>Appends <paramref name="waiter"/> to the queue between <paramref name="first"/> and <paramref name="last"/>.
    /// Caller holds the gate.</summary>
    public static void Append(LockWaiter waiter, ref LockWaiter? first, ref LockWaiter? last)
    {
        if (last is null)
        {
            first = last = waiter;
        }
        else
        {
            waiter.Previous = last;
            last.Next = waiter;
            last = waiter;
        }
    }

    /// <summary>Removes <paramref name="waiter"/> from the queue between <paramref name="first"/> and <paramref name="last"/>.
    /// Caller holds the gate.</summary>
    public static void Unlink(LockWaiter waiter, ref LockWaiter? first, ref LockWaiter? last)
    {
        if (waiter.Previous is null)
        {
            first = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            last = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Previous = waiter.Next = null;
    }

    /// <summary>Cancels the wait when <paramref name="cancellationToken"/> is; after the waiter was queued.</summary>
    public void WatchCancellation(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        // May run the callback at once, here, if the token is cancelled already: it takes the gate itself.
        var registration = cancellationToken.UnsafeRegister(static (state, token) => ((LockWaiter)state!).OnCancelled(token), this);
        lock (_lock.Gate)
        {
            if (Place is WaiterPlace.LockQueue or WaiterPlace.ConditionQueue)
            {
                _registration = registration; // whoever dequeues it unregisters it
                return;
            }
        }

        registration.Unregister(); // granted or withdrawn meanwhile: nobody else will
    }

    /// <summary>Hands over the registration to unregister outside the gate. Caller holds the gate.</summary>
    public CancellationTokenRegistration TakeRegistration()
    {
        var registration = _registration;
        _registration = default;
        return registration;
    }

    /// <summary>Completes the waiter, which now holds the lock. Called once, outside the gate.</summary>
    public void Grant()
    {
        // The waiter holds the lock now, and resumes only after the completion below: number its holding first.
        if (_condition is not null)
        {
            _lock.ResumeHolding(_suspendedHolding); // the releaser of the using block around the wait is current again
        }

        var holding = _condition is null ? _lock.BeginHolding() : _suspendedHolding;
        if (_cancelledBy.IsCancellationRequested)
        {
            TrySetCanceled(_cancelledBy);
        }
        else
        {
            TrySetResult(new AsyncLock.Releaser(_lock, holding));
        }
    }

    private void OnCancelled(CancellationToken token)
    {
        var withdrawn = false;
        var granted = false;
        lock (_lock.Gate)
        {
            if (Place == WaiterPlace.LockQueue && _condition is null)
            {
                _lock.Withdraw(this); // a plain acquirer gives up its place
                withdrawn = true;
            }
            else if (Place == WaiterPlace.ConditionQueue)
            {
                // Not notified yet: leave the condition and queue for the lock, to throw holding it as documented. A waiter
                // already notified (in the lock's queue) ignores the cancellation: it returns normally, no wake-up lost.
                _condition!.Remove(this);
                _cancelledBy = token;
                granted = _lock.EnqueueHoldingGate(this);
            }
        }

        if (withdrawn)
        {
            TrySetCanceled(token);
        }
        else if (granted)
        {
            Grant();
        }
    }
}
