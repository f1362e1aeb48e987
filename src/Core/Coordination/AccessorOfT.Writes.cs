namespace Steward.Coordination;

// Accessor<T>: writes, the writes parked until a reader waits, and the hand-off to readers.
public partial class Accessor<T>
{
    private async Task SetAfterLockAsync(ValueTask acquire, T value, bool waitForRead, CancellationToken cancellationToken)
    {
        await acquire.ConfigureAwait(false);
        await SetLocked(value, waitForRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The write, entered holding the lock.</summary>
    private Task SetLocked(T value, bool waitForRead, CancellationToken cancellationToken)
    {
        if (waitForRead && _readers.Count == 0)
        {
            // Park the write: the next reader performs it, and this writer resumes once it has.
            var parked = new ParkedWrite(value);
            _parked.Enqueue(parked);
            Condition.Release();
            return cancellationToken.CanBeCanceled ? WaitParkedAsync(parked, cancellationToken) : parked.Task;
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

    private async Task WaitParkedAsync(ParkedWrite parked, CancellationToken cancellationToken)
    {
        try
        {
            await parked.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
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
