using System.Runtime.CompilerServices;
using Steward.Support;

namespace Steward;

public partial class RunState
{
    // The longest finite sleep: the timers' limit (uint.MaxValue - 1 milliseconds), as Task.Delay enforces it.
    private static readonly TimeSpan s_maxSleep = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// A checkpoint: waits, blocking the thread, while paused; then throws <see cref="OperationCanceledException"/>
    /// (carrying <see cref="Token"/>) if cancelled. When running and not cancelled it is one field read and costs no
    /// allocation.
    /// </summary>
    /// <remarks>The cancelled test is made after any pause ends, so a cancel during the pause throws.
    /// Prefer <see cref="ThrowIfCancelledAsync"/> in async code: it waits without holding a thread.</remarks>
    /// <param name="message">The exception message; defaults to one naming this RunState.</param>
    /// <exception cref="OperationCanceledException">The RunState is cancelled.</exception>
    public void ThrowIfCancelled(string? message = null)
    {
        _checkpoints++;
        if (_flags != 0)
        {
            ThrowIfCancelledSlow(message);
        }
    }

    /// <summary>
    /// The asynchronous checkpoint: awaits, without holding a thread, while paused; then throws
    /// <see cref="OperationCanceledException"/> if cancelled. Completes synchronously, allocation-free,
    /// when running and not cancelled.
    /// </summary>
    /// <param name="cancellationToken">Cancels only the wait while paused.</param>
    /// <exception cref="OperationCanceledException">The RunState is cancelled, or <paramref name="cancellationToken"/> was.</exception>
    public ValueTask ThrowIfCancelledAsync(CancellationToken cancellationToken = default)
    {
        _checkpoints++;
        if (_flags == 0 && !cancellationToken.IsCancellationRequested)
        {
            return default;
        }

        return ThrowIfCancelledSlowAsync(cancellationToken);
    }

    /// <summary>
    /// A pause point: blocks the thread while paused, returns once resumed, cancelled or stopped. Never throws for
    /// cancellation.
    /// </summary>
    public void WaitIfPaused()
    {
        _checkpoints++;
        if ((_flags & PausedFlag) != 0)
        {
            WaitWhilePaused();
        }
    }

    /// <summary>
    /// The asynchronous pause point: awaits, without holding a thread, while paused; completes once resumed,
    /// cancelled or stopped. Never throws for this RunState's cancellation.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask WaitIfPausedAsync(CancellationToken cancellationToken = default)
    {
        _checkpoints++;
        if ((_flags & PausedFlag) == 0)
        {
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : default;
        }

        return WaitWhilePausedAsync(cancellationToken);
    }

    /// <summary>
    /// Sleeps for <paramref name="delay"/> on this RunState's <see cref="TimeProvider"/>; throws
    /// <see cref="OperationCanceledException"/> (carrying <see cref="Token"/>) when this RunState is cancelled before or
    /// during the sleep, as <see cref="Task.Delay(TimeSpan, CancellationToken)"/> does for its token.
    /// </summary>
    /// <param name="delay">How long to sleep; <see cref="Timeout.InfiniteTimeSpan"/> sleeps until cancelled;
    /// <see cref="TimeSpan.Zero"/> completes at once unless cancelled.</param>
    /// <param name="cancellationToken">Also cancels the sleep; its own token is carried by the exception when it is the
    /// one cancelled.</param>
    /// <returns>A task that completes when the delay has passed, or is cancelled (<see cref="Task.IsCanceled"/>) by this
    /// RunState's cancellation or by <paramref name="cancellationToken"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative (other than infinite), or longer
    /// than the timers' limit of <see cref="uint.MaxValue"/> − 1 milliseconds. Thrown at the call, before any
    /// cancellation test.</exception>
    /// <exception cref="OperationCanceledException">This RunState, or <paramref name="cancellationToken"/>, was cancelled
    /// before or during the sleep (a <see cref="TaskCanceledException"/>, thrown by the await).</exception>
    /// <remarks>
    /// <para>The natural loop <c>while (true) { Work(); await runState.SleepAsync(interval); }</c> therefore ends at the
    /// stop instead of spinning: the await throws, and a worker that ends with this RunState's cancellation ends as
    /// cancelled, not failed. A pause does not interrupt a sleep; the next checkpoint waits.</para>
    /// <para>A sleep without a <paramref name="cancellationToken"/> of its own, woken by <see cref="Cancel"/>, resumes on the
    /// thread pool, not inside the call to <see cref="Cancel"/>: cancelling a parent with thousands of sleeping children
    /// returns at once. Consecutive such sleeps of one run share one timer and one registration on <see cref="Token"/>,
    /// so each costs only its task (a worker loop sleeping ten times a second allocates half what
    /// <see cref="Task.Delay(TimeSpan, CancellationToken)"/> would).</para>
    /// </remarks>
    public Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        if (delay < TimeSpan.Zero && delay != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay,
                $"RunState '{Name}': a sleep delay must not be negative.");
        }

        if (delay > s_maxSleep)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay,
                $"RunState '{Name}': a sleep delay must be at most {s_maxSleep} (about 49.7 days, the timers' limit), or infinite.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (IsCancelled)
        {
            return Task.FromCanceled(Token);
        }

        if (delay == TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        // Without a token of its own (the usual worker loop) a sleep is one small promise: no async frame, no linked source.
        return cancellationToken.CanBeCanceled ? SleepCoreAsync(delay, cancellationToken) : SleepOnRunToken(delay);
    }

    /// <summary>A sleep that only the delay or this run's token ends: on the run's <see cref="RunSleeper"/> when it is
    /// free, else a one-off <see cref="Sleeper"/>.</summary>
    private Task SleepOnRunToken(TimeSpan delay)
    {
        var token = Token;
        var sleeper = Volatile.Read(ref _sleeper);
        if (sleeper is null || sleeper.Token != token)
        {
            // The first sleep of this run (a restart has a new token): install its sleeper, unless another flow just did.
            var fresh = new RunSleeper(_timeProvider, token);
            var seen = Interlocked.CompareExchange(ref _sleeper, fresh, sleeper);
            sleeper = seen == sleeper ? fresh : seen;
            if (sleeper is null || sleeper.Token != token)
            {
                return Sleeper.Start(delay, _timeProvider, token);
            }
        }

        return sleeper.TryStart(delay) ?? Sleeper.Start(delay, _timeProvider, token);
    }

    /// <summary>
    /// Iterates <paramref name="source"/> while this RunState is not cancelled: before each item, waits while paused,
    /// then ends quietly if cancelled. Each item is a checkpoint.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <returns>The items of <paramref name="source"/>, up to cancellation.</returns>
    public IEnumerable<T> Iterate<T>(IEnumerable<T> source)
    {
        Guard.NotNull(source, "RunState", Name);
        return IterateCore(source);
    }

    /// <summary>
    /// Iterates <paramref name="source"/> while this RunState is not cancelled: before each item, awaits while
    /// paused, then ends quietly if cancelled. Each item is a checkpoint.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="cancellationToken">Passed to <paramref name="source"/> and to the pause waits.</param>
    /// <returns>The items of <paramref name="source"/>, up to cancellation.</returns>
    public IAsyncEnumerable<T> IterateAsync<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(source, "RunState", Name);
        return IterateCoreAsync(source, cancellationToken);
    }

    private OperationCanceledException NewCanceledException(string? message) =>
        new(message ?? $"RunState '{Name}' was cancelled.", Token);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIfCancelledSlow(string? message)
    {
        WaitWhilePaused();
        if (IsCancelled)
        {
            throw NewCanceledException(message);
        }
    }

    private ValueTask ThrowIfCancelledSlowAsync(CancellationToken cancellationToken)
    {
        var paused = WaitWhilePausedAsync(cancellationToken);
        if (!paused.IsCompletedSuccessfully)
        {
            return AfterPauseAsync(this, paused);
        }

        // Not paused: hand back the cancellation as a faulted task rather than throwing here. The caller's await throws
        // it once; a host stop cancels every worker at once, and each extra throw costs a stack trace.
        return IsCancelled ? ValueTask.FromException(NewCanceledException(null)) : default;

        static async ValueTask AfterPauseAsync(RunState self, ValueTask paused)
        {
            await paused.ConfigureAwait(false);
            if (self.IsCancelled)
            {
                throw self.NewCanceledException(null);
            }
        }
    }

    /// <summary>Blocks while paused. This is the sync API's documented blocking wait.</summary>
    private void WaitWhilePaused()
    {
        // Loop: after a Resume another Pause may install a new gate before this thread runs again.
        while (_resumeGate is { } gate)
        {
            gate.Task.Wait();
        }
    }

    private ValueTask WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return _resumeGate is null ? default : Core(this, cancellationToken);

        static async ValueTask Core(RunState self, CancellationToken cancellationToken)
        {
            while (self._resumeGate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task SleepCoreAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var token = Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
        await Task.Delay(delay, _timeProvider, linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // The caller's own token first: it is the one the caller can tell apart.
        cancellationToken.ThrowIfCancellationRequested();
        token.ThrowIfCancellationRequested();
    }

    private IEnumerable<T> IterateCore<T>(IEnumerable<T> source)
    {
        using var items = source.GetEnumerator();
        while (true)
        {
            WaitIfPaused();
            if (IsCancelled || !items.MoveNext())
            {
                yield break;
            }

            yield return items.Current;
        }
    }

    private async IAsyncEnumerable<T> IterateCoreAsync<T>(
        IAsyncEnumerable<T> source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = source.GetAsyncEnumerator(cancellationToken);
        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                await WaitIfPausedAsync(cancellationToken).ConfigureAwait(false);
                if (IsCancelled || !await items.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }

                yield return items.Current;
            }
        }
    }
}
