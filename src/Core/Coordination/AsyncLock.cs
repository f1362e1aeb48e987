using System.Diagnostics;

namespace Steward.Coordination;

/// <summary>
/// A fair (first come, first served), cancellable asynchronous mutual-exclusion lock:
/// <c>using (await gate.LockAsync(cancellationToken)) { … }</c>. Taking a free lock completes synchronously and allocates
/// nothing; ownership passes directly from the releaser to the oldest waiter, so a newcomer never overtakes a waiter.
/// </summary>
/// <remarks>
/// <para>
/// The lock is not re-entrant and does not track its owner: a flow that takes it twice waits for itself, and only the
/// holder should release it, by disposing the <see cref="Releaser"/> once (a <c>using</c> does). It is the lock behind
/// <see cref="AsyncCondition"/>; several conditions may share one lock.
/// </para>
/// <para>
/// One word of state makes the uncontended case a single compare-and-swap to take the lock and one to give it back; the
/// gate (a <see cref="System.Threading.Lock"/>) and the queue are touched only once some caller has had to wait.
/// Invariants:
/// </para>
/// <list type="bullet">
/// <item><description><see cref="Free"/> → <see cref="Held"/> only by a compare-and-swap from an acquirer (the one that
/// wins owns the lock).</description></item>
/// <item><description><see cref="Contended"/> is set only under the gate, by an acquirer about to queue (or a condition
/// moving a waiter into the queue); from then on every release goes through the gate, so no release can miss a queued
/// waiter.</description></item>
/// <item><description>A release that finds a waiter hands the lock to it without ever making the state
/// <see cref="Free"/>, so nobody can barge in between; the state stays <see cref="Contended"/> until a release finds the
/// queue empty (under the gate) and frees the lock.</description></item>
/// </list>
/// Ported from Python's <c>asyncio.Lock</c>, as cs.resources and codestare.async_utils use it.
/// </remarks>
[DebuggerDisplay("AsyncLock: {DebuggerState,nq}")]
public sealed partial class AsyncLock
{
    private const int Free = 0;
    private const int Held = 1;      // held, and nobody queued: the next release is a compare-and-swap back to Free
    private const int Contended = 2; // held, and waiters may be queued: releases go through the gate

    private int _state;

    // The current holding's number, and the last number given out. Each acquisition takes a new number (a condition wait
    // resumes its own); a releaser carries its holding's number and releases only while it is current, so disposing it
    // again does nothing, even once someone else holds the lock. Written only by the holder (or on its behalf by whoever
    // hands it the lock, before it resumes); the interlocked hand-over of the lock orders them.
    private int _holding;
    private int _lastHolding;

    // The queue of waiters, oldest first, linked through the waiters themselves. Guarded by Gate.
    private LockWaiter? _first;
    private LockWaiter? _last;

    /// <summary>Creates a free lock.</summary>
    public AsyncLock()
    {
    }

    /// <summary>Whether some flow holds the lock now.</summary>
    public bool IsHeld => Volatile.Read(ref _state) != Free;

    /// <summary>Guards the lock's queue and the queues of the conditions built on this lock.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>The current holding's number (see <see cref="Releaser"/>); 0 once released through a releaser.</summary>
    internal int Holding => Volatile.Read(ref _holding);

    /// <summary>Numbers a new holding; by the new holder, or on its behalf before it resumes.</summary>
    internal int BeginHolding()
    {
        var holding = unchecked(++_lastHolding);
        if (holding == 0)
        {
            holding = _lastHolding = 1; // 0 means "released"
        }

        Volatile.Write(ref _holding, holding);
        return holding;
    }

    /// <summary>Resumes a holding that a condition wait suspended: its releaser is current again.</summary>
    internal void ResumeHolding(int holding) => Volatile.Write(ref _holding, holding);

    private string DebuggerState => _state switch { Free => "free", Held => "held", _ => "held, contended" };

    /// <summary>
    /// Takes the lock: at once, synchronously and without allocating, when it is free; otherwise after every earlier
    /// waiter has had it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait: the returned task is cancelled and the caller does not hold the
    /// lock. A free lock is taken even when the token is already cancelled; a waiter that was handed the lock before the
    /// cancellation keeps it.</param>
    /// <returns>The releaser: dispose it once to release the lock.</returns>
    public ValueTask<Releaser> LockAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free || SpinAcquire())
        {
            return new ValueTask<Releaser>(new Releaser(this, BeginHolding()));
        }

        var waiter = Queue(cancellationToken, out var taken);
        return waiter is not null ? new ValueTask<Releaser>(waiter.Task)
            : taken ? new ValueTask<Releaser>(new Releaser(this, BeginHolding()))
            : ValueTask.FromCanceled<Releaser>(cancellationToken);
    }

    /// <summary>Takes the lock without a releaser (for Steward's own primitives); see <see cref="LockAsync"/>.</summary>
    internal ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Held, Free) == Free || SpinAcquire())
        {
            BeginHolding();
            return default;
        }

        var waiter = Queue(cancellationToken, out var taken);
        if (taken)
        {
            BeginHolding();
        }

        return waiter is not null ? new ValueTask(waiter.Task)
            : taken ? default
            : ValueTask.FromCanceled(cancellationToken);
    }

    /// <summary>Releases the lock, handing it to the oldest waiter if there is one.</summary>
    /// <exception cref="InvalidOperationException">The lock is not held.</exception>
    internal void Release()
    {
        if (Interlocked.CompareExchange(ref _state, Free, Held) == Held)
        {
            return; // nobody queued: the state said so, and queueing would have changed it first
        }

        LockWaiter? next;
        CancellationTokenRegistration registration;
        lock (Gate)
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

            // Ownership passes to it and the state stays contended, even if it was the last waiter: until it resumes and
            // releases (through the gate, finding nobody, or handing over again), newcomers queue rather than spin.
            Unlink(next);

            registration = next.TakeRegistration();
        }

        // Outside the gate: the new owner's continuation runs asynchronously anyway, and a cancellation callback that is
        // running now (it found the waiter dequeued, and does nothing) must not be waited for under the gate.
        registration.Unregister();
        next.Grant();
    }

    /// <summary>
    /// Appends a waiter that must hold the lock before it completes (a condition's notified or cancelled waiter); grants
    /// the lock to it at once when free. Caller holds <see cref="Gate"/>.
    /// </summary>
    /// <returns><see langword="true"/> if the waiter took the lock now: the caller calls <see cref="LockWaiter.Grant"/>
    /// outside the gate.</returns>
    internal bool EnqueueHoldingGate(LockWaiter waiter)
    {
        if (TakeOrMarkContended())
        {
            waiter.Place = WaiterPlace.Granted;
            return true;
        }

        Append(waiter);
        return false;
    }

    /// <summary>Spins briefly (never sleeping) for a lock whose holder is running and about to release it.</summary>
    /// <remarks>
    /// Critical sections under this lock are usually a few instructions long: a short spin spares such acquisitions an
    /// asynchronous wait and a thread hop. It spins only while the state is <see cref="Held"/>: a contended lock has
    /// waiters queued (a spinner could not overtake them anyway: the state never returns to Free until they have all had
    /// the lock), or was handed to a waiter whose continuation has yet to run, and on a busy machine spinning for that one
    /// would only take the processor it needs.
    /// </remarks>
    private bool SpinAcquire()
    {
        var spinner = default(SpinWait);
        while (!spinner.NextSpinWillYield)
        {
            var state = Volatile.Read(ref _state);
            if (state == Free)
            {
                if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                {
                    return true;
                }
            }
            else if (state == Contended)
            {
                return false;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return false;
    }

    /// <summary>Queues a waiter, unless the lock came free (then <paramref name="taken"/>) or the token is cancelled.</summary>
    private LockWaiter? Queue(CancellationToken cancellationToken, out bool taken)
    {
        LockWaiter waiter;
        lock (Gate)
        {
            taken = TakeOrMarkContended();
            if (taken)
            {
                return null;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                // Left contended with perhaps nobody queued: the next release goes through the gate and finds no one.
                return null;
            }

            waiter = new LockWaiter(this, condition: null);
            Append(waiter);
        }

        waiter.WatchCancellation(cancellationToken);
        return waiter;
    }

    /// <summary>Takes the lock if it is free, else marks it contended (so its release comes through the gate). Caller
    /// holds <see cref="Gate"/>.</summary>
    private bool TakeOrMarkContended()
    {
        while (true)
        {
            var state = _state;
            if (state == Free)
            {
                if (Interlocked.CompareExchange(ref _state, Held, Free) == Free)
                {
                    return true;
                }
            }
            else if (state == Contended || Interlocked.CompareExchange(ref _state, Contended, Held) == Held)
            {
                return false;
            }
        }
    }

    /// <summary>Appends to the queue. Caller holds <see cref="Gate"/>, with the state contended.</summary>
    private void Append(LockWaiter waiter)
    {
        LockWaiter.Append(waiter, ref _first, ref _last);
        waiter.Place = WaiterPlace.LockQueue;
    }

    /// <summary>Removes a queued waiter from the queue (granted or withdrawn). Caller holds <see cref="Gate"/>.</summary>
    private void Unlink(LockWaiter waiter)
    {
        LockWaiter.Unlink(waiter, ref _first, ref _last);
        waiter.Place = WaiterPlace.Granted;
    }

    /// <summary>A cancelled plain waiter still queued for the lock withdraws. Caller holds <see cref="Gate"/>.</summary>
    internal void Withdraw(LockWaiter waiter)
    {
        LockWaiter.Unlink(waiter, ref _first, ref _last);
        waiter.Place = WaiterPlace.Withdrawn;
    }

    /// <summary>
    /// What <see cref="LockAsync"/> returns: disposing it releases the lock, handing it to the oldest waiter. Later
    /// disposals (of it or of a copy) do nothing, even once someone else holds the lock; do not dispose two copies at the
    /// same moment from two threads.
    /// </summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly AsyncLock? _lock;
        private readonly int _holding;

        internal Releaser(AsyncLock @lock, int holding)
        {
            _lock = @lock;
            _holding = holding;
        }

        /// <summary>Releases the lock if this holding has not been released yet; does nothing for a default releaser.</summary>
        public void Dispose()
        {
            if (_lock is { } held && held.Holding == _holding)
            {
                Volatile.Write(ref held._holding, 0); // this holding is over: a second disposal must not match
                held.Release();
            }
        }
    }
}
