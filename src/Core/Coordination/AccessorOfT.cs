using System.Diagnostics;

namespace Steward.Coordination;

/// <summary>
/// A value guarded by an <see cref="AsyncCondition"/> (codestare's <c>accessor</c>): readers can wait for the next
/// write, or for a write that satisfies a predicate; writers can wait until a reader is waiting, and hand that reader
/// the value.
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
/// </remarks>
/// <typeparam name="T">The value type.</typeparam>
[DebuggerDisplay("Accessor {Name,nq}: {Value}, {WaitingReaders} waiting readers")]
public sealed class Accessor<T>
{
    private readonly Func<T> _getter;
    private readonly Action<T> _setter;
    private readonly List<Reader> _readers = []; // readers waiting for a write; guarded by Condition's lock
    private T _stored = default!;

    /// <summary>Creates an accessor over its own storage.</summary>
    /// <param name="initial">The initial value.</param>
    /// <param name="condition">The condition to guard it with; a new one by default. Several accessors may share one.</param>
    /// <param name="name">A name for messages.</param>
    public Accessor(T initial = default!, AsyncCondition? condition = null, string? name = null)
    {
        _stored = initial;
        _getter = () => _stored;
        _setter = v => _stored = v;
        Condition = condition ?? new AsyncCondition();
        Name = name;
    }

    /// <summary>Creates an accessor over a custom getter and setter (e.g. a property's).</summary>
    /// <param name="getter">Reads the value.</param>
    /// <param name="setter">Writes the value; if it throws, the write fails and nobody is notified.</param>
    /// <param name="condition">The condition to guard it with; a new one by default.</param>
    /// <param name="name">A name for messages.</param>
    public Accessor(Func<T> getter, Action<T> setter, AsyncCondition? condition = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(getter);
        ArgumentNullException.ThrowIfNull(setter);
        _getter = getter;
        _setter = setter;
        Condition = condition ?? new AsyncCondition();
        Name = name;
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
    public async Task<T> GetAsync(Func<T, bool>? predicate = null, bool? waitForWrite = null, CancellationToken cancellationToken = default)
    {
        Reader reader;
        using (await Condition.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!(waitForWrite ?? predicate is null))
            {
                var current = _getter();
                if (predicate is null || predicate(current))
                {
                    return current;
                }
            }

            reader = new Reader(predicate);
            _readers.Add(reader);
            Condition.NotifyAll(); // wake writers waiting for a reader (WhenReadWaitingAsync, waitForRead)
        }

        try
        {
            return await reader.Value.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            using (await Condition.LockAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (!_readers.Remove(reader))
                {
                    // A write delivered to us while we were being cancelled: the value wins, nothing is lost.
                    return await reader.Value.Task.ConfigureAwait(false);
                }
            }

            throw;
        }
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
    public async Task SetAsync(T value, bool waitForRead = false, CancellationToken cancellationToken = default)
    {
        List<Reader>? served = null;
        using (await Condition.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (waitForRead)
            {
                await Condition.WaitForAsync(() => _readers.Count > 0, cancellationToken).ConfigureAwait(false);
            }

            _setter(value); // throws: nothing delivered, nobody notified

            for (var i = 0; i < _readers.Count; i++)
            {
                var reader = _readers[i];
                if (reader.Predicate is null || reader.Predicate(value))
                {
                    (served ??= []).Add(reader);
                    _readers.RemoveAt(i--);
                }
            }

            Condition.NotifyAll();
        }

        // Readers are completed outside the lock.
        served?.ForEach(r => r.Value.TrySetResult(value));
    }

    /// <summary>Waits until a reader is waiting for a write (codestare's <c>has_waiting_read</c>).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes once a reader waits.</returns>
    public async Task WhenReadWaitingAsync(CancellationToken cancellationToken = default)
    {
        using (await Condition.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            await Condition.WaitForAsync(() => _readers.Count > 0, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Accessor {Name}: {Value}";

    private sealed class Reader(Func<T, bool>? predicate)
    {
        public Func<T, bool>? Predicate { get; } = predicate;

        public TaskCompletionSource<T> Value { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
