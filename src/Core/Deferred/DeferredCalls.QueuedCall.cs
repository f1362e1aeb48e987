using System.Diagnostics;
using System.Runtime.CompilerServices;
using Steward.Diagnostics;

namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>A queued sync call, seen by the processor and the closer without its result type.</summary>
    private interface IQueuedCall
    {
        /// <summary>True once abandoned: it must not run, and its accounting was already done.</summary>
        bool IsAbandoned { get; }

        /// <summary>Pending → running. False if it was abandoned first: then it must not run.</summary>
        bool TryStart();

        /// <summary>Runs the started call and completes its caller. Never throws; pending only if the call went asynchronous.</summary>
        ValueTask Run(T target, CancellationToken fallbackToken);

        /// <summary>Pending → abandoned, failing the caller with <paramref name="reason"/>. False if it had started.</summary>
        bool TryAbandon(Exception reason);

        /// <summary>At the drain deadline: abandons it if pending; if running, fails the caller and cancels its token.</summary>
        void Abort(Exception reason);

        /// <summary>Frees the timer and registrations and, for an abandoned call, stops counting it as abandoned in the
        /// queue; called once, by whoever took the entry off the queue, never from a cancellation callback.</summary>
        void Release();
    }

    /// <summary>What a queued call's delegate is; fixed by the overload that queued it, so running it tests no types.</summary>
    private enum CallShape : byte
    {
        /// <summary>A <c>Func&lt;T, TResult&gt;</c>.</summary>
        Function,

        /// <summary>An <c>Action&lt;T&gt;</c>.</summary>
        Action,

        /// <summary>A <c>Func&lt;T, CancellationToken, ValueTask&lt;TResult&gt;&gt;</c>.</summary>
        AsyncFunction,

        /// <summary>A <c>Func&lt;T, CancellationToken, ValueTask&gt;</c>.</summary>
        AsyncAction,
    }

    /// <summary>
    /// A sync call and its caller's completion in one object (it derives from the <see cref="TaskCompletionSource{TResult}"/>
    /// whose task the caller awaits). State: pending → running → finished, or pending → abandoned (never runs).
    /// </summary>
    /// <remarks>
    /// Kept small: a call with neither a timeout nor a cancellable token (the common case) is this object and its task,
    /// like a hand-rolled <see cref="TaskCompletionSource{TResult}"/>; what a timeout or a token needs lives in a
    /// <see cref="CallLimits"/> allocated only for them.
    /// </remarks>
    private sealed class QueuedCall<TResult> : TaskCompletionSource<TResult>, IQueuedCall
    {
        private const int Pending = 0;
        private const int Running = 1;
        private const int Finished = 2;
        private const int Abandoned = 3;

        private readonly DeferredCalls<T> _owner;
        private readonly Delegate _call;
        private readonly string _name;
        private readonly CallShape _shape;
        private CallLimits? _limits; // set by Arm before the call is queued, for a timeout or a cancellable token only
        private int _state;

        public QueuedCall(DeferredCalls<T> owner, Delegate call, CallShape shape, string name)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _call = call;
            _shape = shape;
            _name = name;
        }

        public bool HoldsSlot { get; set; }

        public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

        private CancellationToken CallerToken => _limits?.CallerToken ?? default;

        /// <summary>
        /// Starts the timeout, links the caller's token and, when <paramref name="traced"/>, captures the caller's activity
        /// context for the call's span; before the call is queued.
        /// </summary>
        public void Arm(TimeSpan? timeout, bool traced, CancellationToken callerToken)
        {
            if (timeout is null && !callerToken.CanBeCanceled && !traced)
            {
                return; // nothing can abandon it and nobody traces it: no timer, no registration, no side object
            }

            var source = timeout is { } delay ? new CancellationTokenSource(delay, _owner._timeProvider)
                : callerToken.CanBeCanceled ? new CancellationTokenSource()
                : null;
            var limits = new CallLimits(timeout, source, callerToken);
            if (traced)
            {
                limits.Traced = true;
                limits.Parent = Activity.Current?.Context ?? default;
            }

            _limits = limits;
            if (source is null)
            {
                return;
            }

            source.Token.UnsafeRegister(static state => ((QueuedCall<TResult>)state!).OnCancelled(), this);
            if (callerToken.CanBeCanceled)
            {
                limits.CallerRegistration =
                    callerToken.UnsafeRegister(static state => ((QueuedCall<TResult>)state!).CancelToken(), this);
            }
        }

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Pending) == Pending;

        public ValueTask Run(T target, CancellationToken fallbackToken)
        {
            // Its span, under the caller's context, is current while the call's synchronous part runs (its continuations
            // keep it); the processing flow's own current activity is put back once that part has returned.
            if (_limits is not { Traced: true } traced)
            {
                return RunCore(target, fallbackToken);
            }

            var previous = Activity.Current;
            traced.Span = StewardMetrics.StartCall(_owner.Name, _name, traced.Parent);
            try
            {
                return RunCore(target, fallbackToken);
            }
            finally
            {
                Activity.Current = previous;
            }
        }

        private ValueTask RunCore(T target, CancellationToken fallbackToken)
        {
            try
            {
                // The shape was fixed by the overload that built this call, so the casts below test nothing.
                switch (_shape)
                {
                    case CallShape.Function:
                        Succeed(Unsafe.As<Func<T, TResult>>(_call)(target));
                        return default;
                    case CallShape.Action:
                        Unsafe.As<Action<T>>(_call)(target);
                        Succeed(default!);
                        return default;
                    case CallShape.AsyncFunction:
                        var pending = Unsafe.As<Func<T, CancellationToken, ValueTask<TResult>>>(_call)(
                            target, _limits?.Source?.Token ?? fallbackToken);
                        if (pending.IsCompletedSuccessfully)
                        {
                            // Completed: reading the result does not block.
                            Succeed(pending.Result);
                            return default;
                        }

                        return AwaitAsync(pending);
                    default:
                        var pendingVoid = Unsafe.As<Func<T, CancellationToken, ValueTask>>(_call)(
                            target, _limits?.Source?.Token ?? fallbackToken);
                        if (pendingVoid.IsCompletedSuccessfully)
                        {
                            pendingVoid.GetAwaiter().GetResult();
                            Succeed(default!);
                            return default;
                        }

                        return AwaitVoidAsync(pendingVoid);
                }
            }
            catch (Exception ex)
            {
                Fail(ex);
                return default;
            }
        }

        public bool TryAbandon(Exception reason)
        {
            if (Interlocked.CompareExchange(ref _state, Abandoned, Pending) != Pending)
            {
                return false;
            }

            _owner.OnAbandoned(HoldsSlot);
            Complete(reason);
            return true;
        }

        public void Abort(Exception reason)
        {
            if (TryAbandon(reason))
            {
                return;
            }

            // Running (or finished just now, when the TrySet below is a no-op): release the caller first, so the
            // timeout callback the cancel below may trigger finds the task already completed.
            Complete(reason);
            CancelToken();
        }

        public void Release()
        {
            if (Volatile.Read(ref _state) == Abandoned)
            {
                _owner.OnAbandonedDropped(); // it has left the queue (or the set-aside list) for good
            }

            if (_limits is { } limits)
            {
                limits.CallerRegistration.Dispose();
                limits.Source?.Dispose();
            }
        }

        private void OnCancelled()
        {
            // Already completed: it finished, or Abort released its caller before cancelling its token at the drain
            // deadline. Nothing is left to report.
            if (Task.IsCompleted)
            {
                return;
            }

            // Only a CallLimits' token source calls this, so _limits is set; it is cancelled by the timeout, the caller's
            // token, or Abort (which completed the caller first: see above).
            var limits = _limits!;
            var callerCancelled = limits.CallerToken.IsCancellationRequested;
            if (!callerCancelled && limits.Timeout is null)
            {
                return;
            }

            var started = Volatile.Read(ref _state) != Pending;
            Exception reason = callerCancelled
                ? new OperationCanceledException(
                    $"DeferredCalls '{_owner.Name}': call '{_name}' was cancelled by its caller "
                    + (started ? "while running; its token was cancelled." : "before it started; it will never run."),
                    limits.CallerToken)
                : new TimeoutException(
                    $"DeferredCalls '{_owner.Name}': call '{_name}' timed out after {limits.Timeout!.Value.TotalMilliseconds:0.###} ms "
                    + (started ? "while running; its token was cancelled." : "before it started; it will never run."));
            if (!callerCancelled)
            {
                StewardMetrics.CallTimedOut(_owner.Name);
            }

            if (!TryAbandon(reason) && Volatile.Read(ref _state) == Running)
            {
                Complete(reason); // running: the token is cancelled now; the caller is released at once
            }
        }

        private void CancelToken()
        {
            try
            {
                _limits?.Source?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile: the call has finished, so there is nothing left to cancel.
            }
            catch (AggregateException ex)
            {
                // A callback the call registered on its own token threw: reported, and the cancel still stands.
                DeferredCallsLog.CallTokenCallbackFailed(_owner._logger, _owner.Name, _name, ex);
            }
        }

        private void Complete(Exception reason)
        {
            if (reason is OperationCanceledException && CallerToken.IsCancellationRequested)
            {
                TrySetCanceled(CallerToken);
            }
            else
            {
                TrySetException(reason);
            }
        }

        private void Succeed(TResult result)
        {
            Volatile.Write(ref _state, Finished);
            EndSpan(null);
            TrySetResult(result); // false if the caller gave up meanwhile: the result is discarded
        }

        private void Fail(Exception exception)
        {
            Volatile.Write(ref _state, Finished);
            StewardMetrics.CallFailed(_owner.Name, sync: true);
            EndSpan(exception);
            if (!TrySetException(exception))
            {
                // The caller gave up (timeout, cancellation or close) while it ran: nobody else will see this.
                _owner.OnFailedAfterCallerLeft(_name, exception);
            }
        }

        private void EndSpan(Exception? failure)
        {
            if (_limits is { Span: { } span })
            {
                StewardMetrics.EndCall(span, failure);
            }
        }

        private async ValueTask AwaitAsync(ValueTask<TResult> pending)
        {
            try
            {
                Succeed(await pending.ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }

        private async ValueTask AwaitVoidAsync(ValueTask pending)
        {
            try
            {
                await pending.ConfigureAwait(false);
                Succeed(default!);
            }
            catch (Exception ex)
            {
                Fail(ex);
            }
        }
    }

    /// <summary>What a sync call with a timeout, a cancellable token or a listener to its span needs besides the call
    /// itself.</summary>
    private sealed class CallLimits(TimeSpan? timeout, CancellationTokenSource? source, CancellationToken callerToken)
    {
        /// <summary>Whether the call gets a span (somebody listened when it was queued).</summary>
        public bool Traced { get; set; }

        /// <summary>The caller's activity context when the call was queued: the parent of the call's span.</summary>
        public ActivityContext Parent { get; set; }

        /// <summary>The call's span while it runs.</summary>
        public Activity? Span { get; set; }

        /// <summary>The caller's token (default when only a timeout was given).</summary>
        public CancellationToken CallerToken { get; } = callerToken;

        /// <summary>The caller's timeout, for the message; null when only a token was given.</summary>
        public TimeSpan? Timeout { get; } = timeout;

        /// <summary>The call's own token: cancelled by its timeout or by its caller's token; null when it has neither.</summary>
        public CancellationTokenSource? Source { get; } = source;

        /// <summary>The link from the caller's token to <see cref="Source"/>; disposed by <c>Release</c>.</summary>
        public CancellationTokenRegistration CallerRegistration { get; set; }
    }
}
