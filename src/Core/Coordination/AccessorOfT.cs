using System.Diagnostics;
using Steward.Support;

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
/// <para>
/// A write with <c>waitForRead: true</c> and no reader waiting is parked with its value; the next reader to arrive
/// performs it (under the lock, exactly as the writer would have) and, if its predicate accepts the value, returns it at
/// once: a direct hand-off, one wait per side.
/// </para>
/// </remarks>
/// <typeparam name="T">The value type.</typeparam>
[DebuggerDisplay("Accessor {Name,nq}: {Value}, {WaitingReaders} waiting readers")]
public sealed class Accessor<T>
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
    /// <param name="ct">Cancels the wait, leaving no waiter behind.</param>
    /// <returns>The value read.</returns>
    public Task<T> GetAsync(Func<T, bool>? predicate = null, bool? waitForWrite = null, CancellationToken ct = default)
    {
        var acquire = Condition.AcquireAsync(ct);
        return acquire.IsCompletedSuccessfully
            ? GetLockedAsync(predicate, waitForWrite ?? predicate is null, ct)
            : GetAfterLockAsync(acquire, predicate, waitForWrite ?? predicate is null, ct);
    }

    /// <summary>
    /// Writes <paramref name="value"/> under the lock, hands it to every waiting reader it satisfies, and notifies the
    /// condition.
    /// </summary>
    /// <param name="value">The new value.</param>
    /// <param name="waitForRead">First wait until a reader is waiting (every call waits for a reader of its own, and
    /// that reader receives <paramref name="value"/>).</param>
    /// <param name="ct">Cancels the wait for a reader; nothing is written then.</param>
    /// <returns>A task that completes when the value is written.</returns>
    public Task SetAsync(T value, bool waitForRead = false, CancellationToken ct = default)
    {
        var acquire = Condition.AcquireAsync(ct);
        return acquire.IsCompletedSuccessfully
            ? SetLocked(value, waitForRead, ct)
            : SetAfterLockAsync(acquire, value, waitForRead, ct);
    }

    /// <summary>Waits until a reader is waiting for a write (codestare's <c>has_waiting_read</c>).</summary>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once a reader waits.</returns>
    public async Task WhenReadWaitingAsync(CancellationToken ct = default)
    {
        using (await Condition.LockAsync(ct).ConfigureAwait(false))
        {
            await Condition.WaitForAsync(_hasReader, ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Accessor {Name}: {Value}";

    private async Task SetAfterLockAsync(ValueTask acquire, T value, bool waitForRead, CancellationToken ct)
    {
        await acquire.ConfigureAwait(false);
        await SetLocked(value, waitForRead, ct).ConfigureAwait(false);
    }

    /// <summary>The write, entered holding the lock.</summary>
    private Task SetLocked(T value, bool waitForRead, CancellationToken ct)
    {
        if (waitForRead && _readers.Count == 0)
        {
            // Park the write: the next reader performs it, and this writer resumes once it has.
            var parked = new ParkedWrite(value);
            _parked.Enqueue(parked);
            Condition.Release();
            return ct.CanBeCanceled ? WaitParkedAsync(parked, ct) : parked.Task;
        }

        var done = default(Completions);
        Exception? failure = null;
        try
        {
            // The setter throws: nothing is written or delivered. A reader's predicate throws: the readers served
            // before it still get the value (below); that reader stays waiting, and the writer gets the exception.
            Write(value, ref done);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            Condition.Release();
        }

        done.Run();
        return failure is null ? Task.CompletedTask : Task.FromException(failure);
    }

    private async Task<T> GetAfterLockAsync(ValueTask acquire, Func<T, bool>? predicate, bool waitForWrite, CancellationToken ct)
    {
        await acquire.ConfigureAwait(false);
        return await GetLockedAsync(predicate, waitForWrite, ct).ConfigureAwait(false);
    }

    /// <summary>The read, entered holding the lock.</summary>
    private Task<T> GetLockedAsync(Func<T, bool>? predicate, bool waitForWrite, CancellationToken ct)
    {
        Reader reader;
        var done = default(Completions);
        var found = false;
        T result = default!;
        try
        {
            if (!waitForWrite)
            {
                var current = _getter();
                if (predicate is null || predicate(current))
                {
                    return Task.FromResult(current);
                }
            }

            // This reader is the one a parked write waited for: perform the writes, oldest first, until one satisfies it.
            while (!found && _parked.TryDequeue(out var parked))
            {
                if (parked.Abandoned)
                {
                    continue; // its writer was cancelled before a reader came
                }

                parked.Taken = true; // from here the write is this reader's, whatever its writer's token does

                try
                {
                    Write(parked.Value, ref done);
                    done.Performed(parked, null);
                }
                catch (Exception ex)
                {
                    done.Performed(parked, ex); // the setter threw: the writer gets it, nobody is notified
                    continue;
                }

                if (predicate is null || predicate(parked.Value))
                {
                    found = true;
                    result = parked.Value;
                }
            }

            if (found)
            {
                return Task.FromResult(result);
            }

            reader = new Reader(predicate);
            _readers.Add(reader);
            Condition.WakeAll(); // writers waiting for a reader (WhenReadWaitingAsync), and the condition's other users
        }
        finally
        {
            Condition.Release();

            // Completed outside the lock: the readers served by the parked writes, then the writers themselves.
            done.Run();
        }

        return ct.CanBeCanceled ? WaitReaderAsync(reader, ct) : reader.Task;
    }

    private async Task<T> WaitReaderAsync(Reader reader, CancellationToken ct)
    {
        try
        {
            return await reader.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Condition.AcquireAsync(CancellationToken.None).ConfigureAwait(false);
            bool removed;
            try
            {
                removed = _readers.Remove(reader);
            }
            finally
            {
                Condition.Release();
            }

            if (!removed)
            {
                // A write delivered to us while we were being cancelled: the value wins, nothing is lost.
                return await reader.Task.ConfigureAwait(false);
            }

            throw;
        }
    }

    private async Task WaitParkedAsync(ParkedWrite parked, CancellationToken ct)
    {
        try
        {
            await parked.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The cancellation may be seen even though the write was taken, or already done: only the lock can say.
            await Condition.AcquireAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                // Invariant: Taken and Abandoned are both set under the lock, so exactly one of them wins. The task of a
                // taken write is completed after the reader releases the lock, so it is not a test of being taken.
                if (!parked.Taken)
                {
                    parked.Abandoned = true; // skipped by the next reader: this value is never written
                    throw;
                }
            }
            finally
            {
                Condition.Release();
            }

            await parked.Task.ConfigureAwait(false); // a reader performed it meanwhile: the write happened
        }
    }

    /// <summary>Writes <paramref name="value"/> and takes the waiting readers it satisfies into <paramref name="done"/>.
    /// Caller holds the lock. If the setter throws, nothing is taken.</summary>
    private void Write(T value, ref Completions done)
    {
        _setter(value);
        for (var i = 0; i < _readers.Count; i++)
        {
            var reader = _readers[i];
            if (reader.Predicate is null || reader.Predicate(value))
            {
                reader.Delivered = value;
                done.Served(reader);
                _readers.RemoveAt(i--);
            }
        }

        Condition.WakeAll();
    }

    /// <summary>
    /// The readers served and the parked writes performed under the lock, completed once it is released. The first of
    /// each is kept in a field, so a one-to-one hand-off collects them without allocating.
    /// </summary>
    private struct Completions
    {
        private Reader? _reader;
        private List<Reader>? _moreReaders;
        private ParkedWrite? _write;
        private Exception? _writeError;
        private List<(ParkedWrite Write, Exception? Error)>? _moreWrites;

        /// <summary>A reader that was delivered a value.</summary>
        public void Served(Reader reader)
        {
            if (_reader is null)
            {
                _reader = reader;
            }
            else
            {
                (_moreReaders ??= []).Add(reader);
            }
        }

        /// <summary>A parked write this reader performed: done, or failed with <paramref name="error"/>.</summary>
        public void Performed(ParkedWrite write, Exception? error)
        {
            if (_write is null)
            {
                (_write, _writeError) = (write, error);
            }
            else
            {
                (_moreWrites ??= []).Add((write, error));
            }
        }

        /// <summary>Completes the readers, then the writers, in the order they were taken. Call without the lock.</summary>
        public readonly void Run()
        {
            _reader?.TrySetResult(_reader.Delivered);
            _moreReaders?.ForEach(static r => r.TrySetResult(r.Delivered));
            if (_write is not null)
            {
                Finish(_write, _writeError);
                _moreWrites?.ForEach(static w => Finish(w.Write, w.Error));
            }
        }

        private static void Finish(ParkedWrite write, Exception? error)
        {
            if (error is null)
            {
                write.TrySetResult();
            }
            else
            {
                write.TrySetException(error);
            }
        }
    }

    /// <summary>A reader waiting for a write; it is its own completion source (one object less per wait).</summary>
    private sealed class Reader(Func<T, bool>? predicate) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Func<T, bool>? Predicate { get; } = predicate;

        /// <summary>The value it was served (set under the lock, delivered after it).</summary>
        public T Delivered { get; set; } = default!;
    }

    /// <summary>A waitForRead write waiting for a reader; it is its own completion source.</summary>
    private sealed class ParkedWrite(T value) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public T Value { get; } = value;

        /// <summary>Its writer gave up (cancelled) before a reader came. Guarded by the condition's lock.</summary>
        public bool Abandoned { get; set; }

        /// <summary>A reader has dequeued it to perform it. Guarded by the condition's lock.</summary>
        public bool Taken { get; set; }
    }
}
