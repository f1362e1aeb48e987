using System.Runtime.CompilerServices;
using Steward.Diagnostics;
using Steward.Support;

namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>
    /// Queues <paramref name="call"/> and completes with its result once the processor has run it. Made from inside a
    /// call being processed, it runs inline at once.
    /// </summary>
    /// <typeparam name="TResult">The call's result type.</typeparam>
    /// <param name="call">The call, for example <c>m =&gt; m.Count</c>.</param>
    /// <param name="timeout">How long the caller waits, from now (including any wait for room); null waits for ever.
    /// The timeout applies to this call only.</param>
    /// <param name="cancellationToken">Abandons the call, like the timeout.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>A task with the call's result, or its exception (same type and message).</returns>
    /// <exception cref="TimeoutException">The timeout passed. If the call had not started it is removed and never
    /// runs; if it was running, it goes on (a synchronous body cannot be stopped) and its result is discarded.</exception>
    /// <exception cref="OperationCanceledException">The caller's token was cancelled (same rules as the timeout).</exception>
    /// <exception cref="ClosedException">The handler is closed, or closed before the call ran.</exception>
    /// <exception cref="InvalidOperationException">The queue is full in <see cref="DeferredCallFullMode.Throw"/> mode.</exception>
    /// <remarks>For asynchronous calls use the <c>(m, cancellationToken) =&gt; …</c> overloads, which the processor awaits: a one-parameter
    /// lambda that returns a task makes that task the result, unawaited.</remarks>
    public Task<TResult> SyncAsync<TResult>(
        Func<T, TResult> call,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            return RunInline(call);
        }

        return Submit<TResult>(call, CallShape.Function, name, timeout, cancellationToken);
    }

    /// <summary>Queues <paramref name="call"/> and completes once the processor has run it; see
    /// <see cref="SyncAsync{TResult}(Func{T, TResult}, TimeSpan?, CancellationToken, string?)"/>.</summary>
    /// <param name="call">The call, for example <c>m =&gt; m.Reset()</c>.</param>
    /// <param name="timeout">How long the caller waits; null waits for ever.</param>
    /// <param name="cancellationToken">Abandons the call, like the timeout.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>A task that completes when the call has run, with its exception if it threw.</returns>
    public Task SyncAsync(
        Action<T> call,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            return RunInline(call);
        }

        return Submit<object?>(call, CallShape.Action, name, timeout, cancellationToken);
    }

    /// <summary>
    /// Queues an asynchronous call and completes with its result; the processor awaits it before the next call. Its
    /// token is cancelled by the timeout, by <paramref name="cancellationToken"/>, or at the drain deadline of
    /// <see cref="DisposeAsync"/>; see <see cref="SyncAsync{TResult}(Func{T, TResult}, TimeSpan?, CancellationToken, string?)"/>.
    /// </summary>
    /// <typeparam name="TResult">The call's result type.</typeparam>
    /// <param name="call">The call, for example <c>(m, cancellationToken) =&gt; m.LoadAsync(id, cancellationToken)</c>.</param>
    /// <param name="timeout">How long the caller waits; null waits for ever.</param>
    /// <param name="cancellationToken">Abandons the call, like the timeout.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>A task with the call's result, or its exception.</returns>
    public Task<TResult> SyncAsync<TResult>(
        Func<T, CancellationToken, ValueTask<TResult>> call,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            return RunInline(call, cancellationToken);
        }

        return Submit<TResult>(call, CallShape.AsyncFunction, name, timeout, cancellationToken);
    }

    /// <summary>Queues an asynchronous call without a result and completes once it has run; see
    /// <see cref="SyncAsync{TResult}(Func{T, CancellationToken, ValueTask{TResult}}, TimeSpan?, CancellationToken, string?)"/>.</summary>
    /// <param name="call">The call, for example <c>(m, cancellationToken) =&gt; m.SaveAsync(cancellationToken)</c>.</param>
    /// <param name="timeout">How long the caller waits; null waits for ever.</param>
    /// <param name="cancellationToken">Abandons the call, like the timeout.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>A task that completes when the call has run, with its exception if it threw.</returns>
    public Task SyncAsync(
        Func<T, CancellationToken, ValueTask> call,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default,
        [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            return RunInline(call, cancellationToken);
        }

        return Submit<object?>(call, CallShape.AsyncAction, name, timeout, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="call"/> and blocks the calling thread until the processor has run it; made from inside a
    /// call being processed, it runs inline. The blocking form of
    /// <see cref="SyncAsync{TResult}(Func{T, TResult}, TimeSpan?, CancellationToken, string?)"/>: never call it from the
    /// processing thread outside a call (nothing would process the queue while it waits).
    /// </summary>
    /// <typeparam name="TResult">The call's result type.</typeparam>
    /// <param name="call">The call, for example <c>m =&gt; m.AccessResources()</c>.</param>
    /// <param name="timeout">How long to wait; null waits for ever.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    /// <returns>The call's result; its exception is rethrown as is.</returns>
    /// <exception cref="TimeoutException">The timeout passed.</exception>
    /// <exception cref="ClosedException">The handler is closed, or closed before the call ran.</exception>
    public TResult Sync<TResult>(Func<T, TResult> call, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            return call(Target);
        }

        // The documented sync-over-async API: the caller asked to block.
        return Submit<TResult>(call, CallShape.Function, name, timeout, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Queues <paramref name="call"/> and blocks until it has run; see
    /// <see cref="Sync{TResult}(Func{T, TResult}, TimeSpan?, string?)"/>.</summary>
    /// <param name="call">The call, for example <c>m =&gt; m.Reset()</c>.</param>
    /// <param name="timeout">How long to wait; null waits for ever.</param>
    /// <param name="name">The call's name; filled in by the compiler from the lambda's text, or given explicitly.</param>
    public void Sync(Action<T> call, TimeSpan? timeout = null, [CallerArgumentExpression(nameof(call))] string? name = null)
    {
        Guard.NotNull(call, "DeferredCalls", Name);
        if (IsInsideOwnCall())
        {
            call(Target);
            return;
        }

        Submit<object?>(call, CallShape.Action, name, timeout, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static void ValidateTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t < TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "The timeout must be zero or positive, or infinite.");
        }
    }

    private Task<TResult> RunInline<TResult>(Func<T, TResult> call)
    {
        try
        {
            return Task.FromResult(call(Target));
        }
        catch (Exception ex)
        {
            return Task.FromException<TResult>(ex);
        }
    }

    private Task RunInline(Action<T> call)
    {
        try
        {
            call(Target);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    private Task<TResult> RunInline<TResult>(Func<T, CancellationToken, ValueTask<TResult>> call, CancellationToken cancellationToken)
    {
        try
        {
            return call(Target, cancellationToken).AsTask();
        }
        catch (Exception ex)
        {
            return Task.FromException<TResult>(ex);
        }
    }

    private Task RunInline(Func<T, CancellationToken, ValueTask> call, CancellationToken cancellationToken)
    {
        try
        {
            return call(Target, cancellationToken).AsTask();
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    /// <summary>The queuing core behind every <c>Sync</c>/<c>SyncAsync</c>.</summary>
    private Task<TResult> Submit<TResult>(Delegate call, CallShape shape, string? expression, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ValidateTimeout(timeout);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            timeout = null;
        }

        var name = CallNames.Resolve(expression);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult>(cancellationToken);
        }

        if (_phase != OpenPhase)
        {
            return Task.FromException<TResult>(ClosedFor(name));
        }

        var queued = new QueuedCall<TResult>(this, call, shape, name);
        if (_slots is not null)
        {
            if (!_slots.Wait(0, CancellationToken.None))
            {
                return _fullMode == DeferredCallFullMode.Throw
                    ? Task.FromException<TResult>(new InvalidOperationException(
                        $"DeferredCalls '{Name}' is full (capacity {_capacity}): call '{name}' was rejected."))
                    : SubmitWhenRoomAsync(queued, shape, name, timeout, cancellationToken);
            }

            queued.HoldsSlot = true;
        }

        // Armed before it is queued, so the processor never sees it without its token. An abandon that fires before
        // the enqueue is counted as removed before Enqueue counts it as queued; the two cancel out.
        queued.Arm(timeout, StewardMetrics.TracingCalls, cancellationToken);
        Enqueue(new DeferredEntry(queued, name, KindOf(shape), queued.HoldsSlot));
        return queued.Task;
    }

    /// <summary>Wait mode, queue full: waits asynchronously for room, within the call's timeout, then queues.</summary>
    private async Task<TResult> SubmitWhenRoomAsync<TResult>(
        QueuedCall<TResult> queued, CallShape shape, string name, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        using var timer = timeout is { } delay ? new CancellationTokenSource(delay, _timeProvider) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(
            cancellationToken, _rejectWaiters.Token, timer?.Token ?? CancellationToken.None);
        try
        {
            await _slots!.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(
                    $"DeferredCalls '{Name}': call '{name}' was cancelled while waiting for room; it never ran.", cancellationToken);
            }

            if (_rejectWaiters.IsCancellationRequested)
            {
                throw ClosedFor(name);
            }

            StewardMetrics.CallTimedOut(Name);
            throw new TimeoutException(
                $"DeferredCalls '{Name}': call '{name}' timed out after {timeout!.Value.TotalMilliseconds:0.###} ms waiting "
                + $"for room (capacity {_capacity}); it never ran.");
        }

        if (_phase != OpenPhase)
        {
            _slots.Release();
            throw ClosedFor(name);
        }

        queued.HoldsSlot = true;
        queued.Arm(timeout is { } total ? Max(total - _timeProvider.GetElapsedTime(started), TimeSpan.FromTicks(1)) : null,
            StewardMetrics.TracingCalls, cancellationToken);
        Enqueue(new DeferredEntry(queued, name, KindOf(shape), holdsSlot: true));
        return await queued.Task.ConfigureAwait(false);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The queue entry kind of a sync call: asynchronous delegates need the flow marker when they run.</summary>
    private static byte KindOf(CallShape shape) =>
        shape is CallShape.AsyncFunction or CallShape.AsyncAction ? DeferredEntry.SyncAsyncKind : DeferredEntry.SyncKind;
}
