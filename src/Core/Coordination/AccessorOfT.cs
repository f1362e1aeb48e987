using System.Diagnostics;
using Steward.Support;

namespace Steward.Coordination;

/// <summary>
/// A value guarded by an <see cref="AsyncCondition"/>: readers can wait for the next write, or for a write that
/// satisfies a predicate; writers can wait until a reader is waiting, and hand that reader the value. Ported from
/// codestare's <c>accessor</c>.
/// </summary>
/// <remarks>
/// <para>
/// Writes go through <see cref="SetAsync"/>: under the condition's lock the setter runs, then every reader waiting for a
/// write whose predicate accepts the value receives it (and stops waiting), then the condition is notified. A setter
/// that throws surfaces to the writer and notifies nobody.
/// </para>
/// <para>
/// Reads through <see cref="GetAsync"/>: with no arguments, the next write; with a predicate, the current value at once if
/// it matches, else the first later write that matches; <c>waitForWrite: true</c> always waits for a later write;
/// <c>waitForWrite: false</c> without a predicate returns the current value at once. A cancelled read leaves no waiter.
/// </para>
/// <para>
/// A write with <c>waitForRead: true</c> and no reader waiting is parked with its value; the next reader to arrive
/// performs it (under the lock, exactly as the writer would have) and, if its predicate accepts the value, returns it at
/// once: a direct hand-off, one wait per side.
/// </para>
/// </remarks>
/// <typeparam name="T">The value type.</typeparam>
[DebuggerDisplay("Accessor {Name,nq}: {Value}, {WaitingReaders} waiting readers")]
public sealed partial class Accessor<T>
{
    private readonly Func<T> _getter;
    private readonly Action<T> _setter;
    private readonly Func<bool> _hasReader;

    // Guarded by Condition's lock.
    private readonly List<Reader> _readers = [];             // readers waiting for a write
    private readonly Queue<ParkedWrite> _parked = new();     // waitForRead writes waiting for a reader, oldest first
    private T _stored = default!;

    /// <summary>Creates an accessor over its own storage.</summary>
    /// <param name="initial">The initial value.</param>
    /// <param name="condition">The condition to guard it with; a new one by default. Several accessors may share one.</param>
    /// <param name="name">A name for messages.</param>
    public Accessor(T initial = default!, AsyncCondition? condition = null, string? name = null)
        : this(condition, name)
    {
        _stored = initial;
        _getter = () => _stored;
        _setter = v => _stored = v;
    }

    /// <summary>Creates an accessor over a custom getter and setter (e.g. a property's).</summary>
    /// <param name="getter">Reads the value.</param>
    /// <param name="setter">Writes the value; if it throws, the write fails and nobody is notified.</param>
    /// <param name="condition">The condition to guard it with; a new one by default.</param>
    /// <param name="name">A name for messages.</param>
    public Accessor(Func<T> getter, Action<T> setter, AsyncCondition? condition = null, string? name = null)
        : this(condition, name)
    {
        Guard.NotNull(getter, typeof(Accessor<T>), name);
        Guard.NotNull(setter, typeof(Accessor<T>), name);
        _getter = getter;
        _setter = setter;
    }

    private Accessor(AsyncCondition? condition, string? name)
    {
        Condition = condition ?? new AsyncCondition();
        Name = name;
        _getter = null!;
        _setter = null!;
        _hasReader = () => _readers.Count > 0;
    }

    /// <summary>The value, read or written directly: no lock, no waiting, no notification.</summary>
    public T Value
    {
        get => _getter();
        set => _setter(value);
    }

    /// <summary>The condition that guards the value.</summary>
    public AsyncCondition Condition { get; }

    /// <summary>The name given at construction.</summary>
    public string? Name { get; }

    /// <summary>How many readers are waiting for a write (read without the lock; for diagnostics).</summary>
    public int WaitingReaders => _readers.Count;

    /// <summary>Reads the value, waiting as the arguments say (see the remarks on <see cref="Accessor{T}"/>).</summary>
    /// <param name="predicate">The value to wait for; <see langword="null"/> accepts any.</param>
    /// <param name="waitForWrite">Whether to ignore the current value and wait for a later write. Defaults to
    /// <see langword="true"/> without a predicate and <see langword="false"/> with one.</param>
    /// <param name="cancellationToken">Cancels the wait, leaving no waiter behind.</param>
    /// <returns>The value read.</returns>
    public Task<T> GetAsync(Func<T, bool>? predicate = null, bool? waitForWrite = null, CancellationToken cancellationToken = default)
    {
        var acquire = Condition.AcquireAsync(cancellationToken);
        return acquire.IsCompletedSuccessfully
            ? GetLockedAsync(predicate, waitForWrite ?? predicate is null, cancellationToken)
            : GetAfterLockAsync(acquire, predicate, waitForWrite ?? predicate is null, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="value"/> under the lock, hands it to every waiting reader it satisfies, and notifies the
    /// condition.
    /// </summary>
    /// <param name="value">The new value.</param>
    /// <param name="waitForRead">First wait until a reader is waiting (every call waits for a reader of its own, and
    /// that reader receives <paramref name="value"/>).</param>
    /// <param name="cancellationToken">Cancels the wait for a reader; nothing is written then.</param>
    /// <returns>A task that completes when the value is written.</returns>
    public Task SetAsync(T value, bool waitForRead = false, CancellationToken cancellationToken = default)
    {
        var acquire = Condition.AcquireAsync(cancellationToken);
        return acquire.IsCompletedSuccessfully
            ? SetLocked(value, waitForRead, cancellationToken)
            : SetAfterLockAsync(acquire, value, waitForRead, cancellationToken);
    }

    /// <summary>Waits until a reader is waiting for a write.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes once a reader waits.</returns>
    public async Task WhenReadWaitingAsync(CancellationToken cancellationToken = default)
    {
        using (await Condition.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await Condition.WaitForAsync(_hasReader, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Accessor {Name}: {Value}";

}
