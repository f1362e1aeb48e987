using System.Diagnostics.CodeAnalysis;

namespace Steward;

/// <summary>
/// An item rented from a <see cref="Pool{T}"/>; disposing the lease returns the item (once), unless
/// <see cref="Discard"/> dropped it. Use it in a <c>using</c> statement; do not copy it.
/// </summary>
/// <typeparam name="T">The pooled type.</typeparam>
public struct PoolLease<T> : IDisposable, IEquatable<PoolLease<T>>
    where T : class
{
    private Pool<T>? _pool;
    private T? _value;

    internal PoolLease(Pool<T> pool, T value)
    {
        _pool = pool;
        _value = value;
    }

    /// <summary>The rented item.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed or discarded.</exception>
    public readonly T Value => _value ?? ThrowReturned();

    /// <summary>Whether two leases hold the same item.</summary>
    /// <param name="left">A lease.</param>
    /// <param name="right">Another lease.</param>
    /// <returns><see langword="true"/> if they hold the same item.</returns>
    public static bool operator ==(PoolLease<T> left, PoolLease<T> right) => left.Equals(right);

    /// <summary>Whether two leases hold different items.</summary>
    /// <param name="left">A lease.</param>
    /// <param name="right">Another lease.</param>
    /// <returns><see langword="true"/> if they hold different items.</returns>
    public static bool operator !=(PoolLease<T> left, PoolLease<T> right) => !left.Equals(right);

    /// <summary>
    /// Drops a broken item instead of returning it: the pool will not hand it out again, and it is disposed if it is
    /// <see cref="IDisposable"/>. Disposing the lease afterwards does nothing.
    /// </summary>
    public void Discard()
    {
        var item = _value;
        _value = null;
        _pool = null;
        if (item is not null)
        {
            Pool<T>.DisposeItem(item);
        }
    }

    /// <summary>Returns the item to its pool, once.</summary>
    public void Dispose()
    {
        var item = _value;
        if (item is not null)
        {
            _value = null; // once: a second Dispose of this lease does nothing
            _pool!.ReturnFromLease(item);
        }
    }

    [DoesNotReturn]
    private static T ThrowReturned() =>
        throw new ObjectDisposedException($"PoolLease<{typeof(T).Name}>", "The item was already returned to its pool or discarded.");

    /// <inheritdoc/>
    public readonly bool Equals(PoolLease<T> other) => ReferenceEquals(_value, other._value);

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is PoolLease<T> other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => _value is null ? 0 : _value.GetHashCode();
}
