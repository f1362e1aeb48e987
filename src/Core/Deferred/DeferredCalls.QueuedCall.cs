namespace Steward.Deferred;

public partial class DeferredCalls<T>
{
    /// <summary>A queued sync call, seen by the processor and the closer without its result type.</summary>
    private interface IQueuedCall
    {
        /// <summary>True if the call is asynchronous (its continuations need the flow marker).</summary>
        bool IsAsync { get; }

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

        /// <summary>Frees the timer and registrations; called once, by whoever took the entry off the queue, never from
        /// a cancellation callback.</summary>
        void Release();
    }

    /// <summary>
    /// A sync call and its caller's completion in one object (it derives from the <see cref="TaskCompletionSource{TResult}"/>
    /// whose task the caller awaits). State: pending → running → finished, or pending → abandoned (never runs).
    /// </summary>
    private sealed class QueuedCall<TResult> : TaskCompletionSource<TResult>, IQueuedCall
    {
        private const int Pending = 0;
        private const int Running = 1;
        private const int Finished = 2;
        private const int Abandoned = 3;

        private readonly DeferredCalls<T> _owner;
        private readonly Delegate _call;
        private readonly string _name;
        private readonly CancellationToken _callerToken;
        private TimeSpan? _timeout;
        private CancellationTokenSource? _cts; // this call's token: cancelled by its timeout or its caller's token
        private CancellationTokenRegistration _callerRegistration;
        private int _state;

        public QueuedCall(DeferredCalls<T> owner, Delegate call, string name, CancellationToken callerToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _call = call;
            _name = name;
            _callerToken = callerToken;
        }

        public bool HoldsSlot { get; set; }

        public bool IsAsync => _call is Func<T, CancellationToken, ValueTask<TResult>> or Func<T, CancellationToken, ValueTask>;

        public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

        /// <summary>Starts the timeout and links the caller's token; before the call is queued.</summary>
        public void Arm(TimeSpan? timeout)
        {
            _timeout = timeout;
            if (timeout is null && !_callerToken.CanBeCanceled)
            {
                return; // nothing can abandon it: no timer, no registration
            }

            _cts = timeout is { } delay ? new CancellationTokenSource(delay, _owner._timeProvider) : new CancellationTokenSource();
            _cts.Token.UnsafeRegister(static state => ((QueuedCall<TResult>)state!).OnCancelled(), this);
            if (_callerToken.CanBeCanceled)
            {
                _callerRegistration = _callerToken.UnsafeRegister(static state => ((QueuedCall<TResult>)state!).CancelToken(), this);
            }
        }

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Pending) == Pending;

        public ValueTask Run(T target, CancellationToken fallbackToken)
        {
            var token = _cts?.Token ?? fallbackToken;
            try
            {
                switch (_call)
                {
                    case Func<T, TResult> function:
                        Succeed(function(target));
                        return default;
                    case Action<T> action:
                        action(target);
                        Succeed(default!);
                        return default;
                    case Func<T, CancellationToken, ValueTask<TResult>> function:
                        var pending = function(target, token);
                        if (pending.IsCompletedSuccessfully)
                        {
                            // Completed: reading the result does not block.
                            Succeed(pending.Result);
                            return default;
                        }

                        return AwaitAsync(pending);
                    default:
                        var pendingVoid = ((Func<T, CancellationToken, ValueTask>)_call)(target, token);
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
            _callerRegistration.Dispose();
            _cts?.Dispose();
        }

        private void OnCancelled()
        {
            var callerCancelled = _callerToken.IsCancellationRequested;
            var started = Volatile.Read(ref _state) != Pending;
            Exception reason = callerCancelled
                ? new OperationCanceledException(
                    $"DeferredCalls '{_owner.Name}': call '{_name}' was cancelled by its caller "
                    + (started ? "while running; its token was cancelled." : "before it started; it will never run."),
                    _callerToken)
                : new TimeoutException(
                    $"DeferredCalls '{_owner.Name}': call '{_name}' timed out after {_timeout!.Value.TotalMilliseconds:0.###} ms "
                    + (started ? "while running; its token was cancelled." : "before it started; it will never run."));
            if (!TryAbandon(reason) && Volatile.Read(ref _state) == Running)
            {
                Complete(reason); // running: the token is cancelled now; the caller is released at once
            }
        }

        private void CancelToken()
        {
            try
            {
                _cts?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile: the call has finished, so there is nothing left to cancel.
            }
        }

        private void Complete(Exception reason)
        {
            if (reason is OperationCanceledException && _callerToken.IsCancellationRequested)
            {
                TrySetCanceled(_callerToken);
            }
            else
            {
                TrySetException(reason);
            }
        }

        private void Succeed(TResult result)
        {
            Volatile.Write(ref _state, Finished);
            TrySetResult(result); // false if the caller gave up meanwhile: the result is discarded
        }

        private void Fail(Exception exception)
        {
            Volatile.Write(ref _state, Finished);
            if (!TrySetException(exception))
            {
                // The caller gave up (timeout, cancellation or close) while it ran: nobody else will see this.
                _owner.OnFailedAfterCallerLeft(_name, exception);
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
}
