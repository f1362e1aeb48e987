using System.Diagnostics;

namespace Steward.Coordination;

/// <summary>
/// A fair (first come, first served) asynchronous mutual-exclusion lock without owner tracking: the core of
/// <see cref="AsyncCondition"/>. Ownership passes directly from the releaser to the oldest waiter, so a newcomer can
/// never overtake a waiter.
/// </summary>
/// <remarks>
/// One word of state makes the uncontended case a single compare-and-swap to take the lock and one to give it back; the
/// gate (a <see cref="Lock"/>) and the queue are touched only once some caller has had to wait. Invariants:
/// <list type="bullet">
/// <item><description><see cref="Free"/> → <see cref="Held"/> only by a compare-and-swap from an acquirer (the one
/// that wins owns the lock).</description></item>
/// <item><description><see cref="Contended"/> is set only under the gate, by an acquirer about to queue; from then on
/// every release goes through the gate, so no release can miss a queued waiter.</description></item>
/// <item><description>A release that finds a waiter hands the lock to it without ever making the state
/// <see cref="Free"/>, so nobody can barge in between; it lowers the state to <see cref="Held"/> if that waiter was the
/// last (no one else is queued, and anyone who queues later raises it again under the gate first).</description></item>
/// </list>
/// </remarks>
[DebuggerDisplay("AsyncMutex: {DebuggerState,nq}")]
internal sealed class AsyncMutex
{
    private const int Free = 0;
    private const int Held = 1;      // held, and nobody queued: the next release is a compare-and-swap back to Free
    private const int Contended = 2; // held, and waiters may be queued: releases go through the gate

    private readonly Lock _gate = new();
    private int _state;

    // The queue of waiters, oldest first, linked through the waiters themselves. Guarded by _gate.
    private Waiter? _first;
    private Waiter? _last;

    /// <summary>Whether some flow holds the lock.</summary>
    public bool IsHeld => Volatile.Read(ref _state) != Free;

    private string DebuggerState => _state switch { Free => "free", Held => "held", _ => "held, contended" };

    /// <summary>Takes the lock; completes synchronously, allocation-free, when it is free.</summary>
    /// <param name="cancellationToken">Cancels the wait; a waiter that was already handed the lock keeps it.</param>
    /// <returns>A task that completes once the caller holds the lock.</returns>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
        {
            return default;
        }

        // Critical sections under this lock are a few instructions long: spin briefly (never sleeping) before queueing,
        // which spares an asynchronous wait (and a thread hop) for most contended acquisitions. A spinner cannot barge
        // past queued waiters: with waiters queued the state never returns to Free until they have all had the lock.
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (Volatile.Read(ref _state) == Free && Interlocked.CompareExchange(ref _state, Held, Free) == Free)
            {
                return default;
            }
        }

        return AcquireSlow(cancellationToken);
    }

    /// <summary>Releases the lock, handing it to the oldest waiter if there is one.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    public void Release()
    {
        if (Interlocked.CompareExchange(ref _state, Free, Held) == Held)
        {
            return; // nobody queued: the state said so, and queueing would have changed it first
        }

        Waiter? next;
        lock (_gate)
        {
            if (_state == Free)
            {
                throw new InvalidOperationException("The async lock is released but nobody holds it.");
            }

            next = _first;
            if (next is null)
            {
                Volatile.Write(ref _state, Free);
                return;
            }

            Unlink(next); // ownership passes to it: the state stays held
            if (_first is null)
            {
                Volatile.Write(ref _state, Held); // it was the last: its release may take the fast path
            }
        }

        next.TrySetResult(); // outside the gate: the new owner runs asynchronously anyway
    }

    private ValueTask AcquireSlow(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            // Take the lock if it came free, else mark it contended (so its release comes through the gate) and queue.
            while (true)
            {
                var state = _state;
                if (state == Free)
                {
                    if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                    {
                        return default;
                    }
                }
                else if (state == Contended || Interlocked.CompareExchange(ref _state, Contended, Held) == Held)
                {
                    break;
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                // Left contended with perhaps nobody queued: the next release goes through the gate and finds no one.
                return ValueTask.FromCanceled(cancellationToken);
            }

            waiter = new Waiter();
            if (_last is null)
            {
                _first = _last = waiter;
            }
            else
            {
                waiter.Previous = _last;
                _last.Next = waiter;
                _last = waiter;
            }

            waiter.Queued = true;
        }

        return cancellationToken.CanBeCanceled ? WaitAsync(waiter, cancellationToken) : new ValueTask(waiter.Task);
    }

    private async ValueTask WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                // Still queued: withdraw. Already dequeued: Release handed us the lock, so we own it and keep it.
                if (!waiter.Queued)
                {
                    return;
                }

                Unlink(waiter);
            }

            throw;
        }
    }

    /// <summary>Removes a queued waiter from the queue. Caller holds the gate.</summary>
    private void Unlink(Waiter waiter)
    {
        if (waiter.Previous is null)
        {
            _first = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _last = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Previous = waiter.Next = null;
        waiter.Queued = false;
    }

    /// <summary>A queued acquirer: its own completion source and its own queue node (one object and its task per wait).</summary>
    private sealed class Waiter() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Waiter? Previous { get; set; }

        public Waiter? Next { get; set; }

        /// <summary>In the queue; false once handed the lock or withdrawn. Guarded by the gate.</summary>
        public bool Queued { get; set; }
    }
}
