namespace Steward.Coordination;

// Accessor<T>: reads, and the readers waiting for a write.
public partial class Accessor<T>
{
    private async Task<T> GetAfterLockAsync(ValueTask acquire, Func<T, bool>? predicate, bool waitForWrite, CancellationToken cancellationToken)
    {
        await acquire.ConfigureAwait(false);
        return await GetLockedAsync(predicate, waitForWrite, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The read, entered holding the lock.</summary>
    private Task<T> GetLockedAsync(Func<T, bool>? predicate, bool waitForWrite, CancellationToken cancellationToken)
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

        return cancellationToken.CanBeCanceled ? WaitReaderAsync(reader, cancellationToken) : reader.Task;
    }

    private async Task<T> WaitReaderAsync(Reader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
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

    /// <summary>A reader waiting for a write; it is its own completion source (one object less per wait).</summary>
    private sealed class Reader(Func<T, bool>? predicate) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Func<T, bool>? Predicate { get; } = predicate;

        /// <summary>The value it was served (set under the lock, delivered after it).</summary>
        public T Delivered { get; set; } = default!;
    }
}
