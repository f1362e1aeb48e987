using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Steward.Support;

namespace Steward;

/// <summary>
/// A pool of reusable objects, for things cheaper to reuse than to recreate (cs.resources' <c>Pool</c>).
/// <see cref="Rent"/> hands out a pooled item or makes a new one; returning it keeps it for reuse, up to
/// <see cref="MaxSize"/> kept items. An item returned to a full pool is dropped, and disposed if it is <see cref="IDisposable"/>.
/// </summary>
/// <remarks>
/// Thread-safe and lock-free: one fast slot plus a concurrent queue, as <c>DefaultObjectPool</c>. Renting and
/// returning allocate nothing once items exist. After <see cref="Dispose"/>, renting throws
/// <see cref="ObjectDisposedException"/> and returned items are disposed.
/// </remarks>
/// <typeparam name="T">The pooled type.</typeparam>
[DebuggerDisplay("Pool<{typeof(T).Name,nq}>: {Available} available of {MaxSize}, {Created} created")]
public sealed class Pool<T> : IDisposable
    where T : class
{
    private readonly Func<T> _factory;
    private readonly ConcurrentQueue<T> _items = new();
    private readonly int _maxQueued; // kept items beyond the fast slot; int.MaxValue when unlimited
    private T? _fastItem;
    private int _queued;             // items in _items, counted before enqueue so the bound is never exceeded
    private long _created;
    private volatile bool _disposed;

    /// <summary>Creates a pool.</summary>
    /// <param name="factory">Makes a new item when none is available. It must not return <see langword="null"/>.</param>
    /// <param name="maxSize">How many returned items to keep for reuse; 0 keeps every returned item.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is negative.</exception>
    public Pool(Func<T> factory, int maxSize = 4)
    {
        Guard.NotNull(factory, typeof(Pool<T>));
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        _factory = factory;
        MaxSize = maxSize;
        _maxQueued = maxSize == 0 ? int.MaxValue : maxSize - 1;
    }

    /// <summary>How many returned items are kept for reuse; 0 means no limit.</summary>
    public int MaxSize { get; }

    /// <summary>How many items are waiting to be reused.</summary>
    public int Available => (Volatile.Read(ref _fastItem) is null ? 0 : 1) + Volatile.Read(ref _queued);

    /// <summary>How many items the factory has made.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Rents an item for a <c>using</c> block; disposing the lease returns it.</summary>
    /// <returns>The lease.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PoolLease<T> Rent() => new(this, Get());

    /// <summary>Takes an item: a pooled one if any, else a new one from the factory. Give it back with <see cref="Return"/>.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get()
    {
        // Fast path: the one fast slot. (A disposed pool's slot is empty, so the disposed check lives in the slow path.)
        var item = _fastItem;
        if (item is not null && Interlocked.CompareExchange(ref _fastItem, null, item) == item)
        {
            return item;
        }

        return GetSlow();
    }

    /// <summary>
    /// Gives an item back for reuse. If the pool already keeps <see cref="MaxSize"/> items (or is disposed) the item
    /// is dropped, and disposed if it is <see cref="IDisposable"/>. Return each item once.
    /// </summary>
    /// <param name="item">The item.</param>
    public void Return(T item)
    {
        if (item is null)
        {
            Guard.ThrowNull(typeof(Pool<T>), null, nameof(item));
        }

        ReturnCore(item);
    }

    /// <summary>Disposes every kept item; afterwards renting throws and returned items are disposed.</summary>
    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    /// <summary><see cref="Return"/> without the argument check (the lease knows its item is not null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ReturnCore(T item)
    {
        if (_fastItem is null && Interlocked.CompareExchange(ref _fastItem, item, null) is null)
        {
            // Checked after the slot is taken: a Dispose racing with this Return drains the slot either way.
            if (_disposed)
            {
                DrainAfterDispose();
            }

            return;
        }

        ReturnSlow(item);
    }

    /// <summary>
    /// <see cref="ReturnCore"/> for <see cref="PoolLease{T}.Dispose"/>, kept small enough for a lease's <c>using</c>
    /// to stay inline: the JIT copies a <c>finally</c> into the normal path only when it has at most 15 statements
    /// after inlining, and otherwise calls it as a funclet with the enclosing method's locals kept in memory (about
    /// 1.3 ns per rent on the benchmark machine). Hence one compare-and-swap on the fast slot, without the read that
    /// <see cref="ReturnCore"/> does first (that read pushes the inlined finally over the limit), and everything else
    /// in <see cref="ReturnFromLeaseSlow"/>.
    /// </summary>
    /// <param name="item">The lease's item.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ReturnFromLease(T item)
    {
        // The object overload: the generic CompareExchange<T> inlines to more statements.
        var kept = Interlocked.CompareExchange(ref Unsafe.As<T?, object?>(ref _fastItem), item, null) is null;
        if (!kept | _disposed)
        {
            ReturnFromLeaseSlow(item, kept);
        }
    }

    /// <summary>Disposes <paramref name="item"/> if it is disposable.</summary>
    internal static void DisposeItem(T item)
    {
        if (item is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private T GetSlow()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_items.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _queued);
            return item;
        }

        item = _factory() ?? throw new InvalidOperationException($"The factory of Pool<{typeof(T).Name}> returned null.");
        Interlocked.Increment(ref _created);
        return item;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReturnSlow(T item)
    {
        if (!_disposed)
        {
            if (Interlocked.Increment(ref _queued) <= _maxQueued)
            {
                _items.Enqueue(item);

                // A Return racing with Dispose may keep an item after Dispose drained; it drains again so nothing is kept.
                if (_disposed)
                {
                    Drain();
                }

                return;
            }

            Interlocked.Decrement(ref _queued);
        }

        DisposeItem(item);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DrainAfterDispose() => Drain();

    /// <summary>The rest of <see cref="ReturnFromLease"/>, as <see cref="ReturnCore"/> does it.</summary>
    /// <param name="item">The lease's item.</param>
    /// <param name="kept">Whether the item went into the fast slot (then the pool was found disposed).</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReturnFromLeaseSlow(T item, bool kept)
    {
        if (kept)
        {
            // Checked after the slot is taken: a Dispose racing with this return drains the slot either way.
            Drain();
        }
        else
        {
            ReturnSlow(item);
        }
    }

    private void Drain()
    {
        if (Interlocked.Exchange(ref _fastItem, null) is { } fast)
        {
            DisposeItem(fast);
        }

        while (_items.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref _queued);
            DisposeItem(item);
        }
    }
}
