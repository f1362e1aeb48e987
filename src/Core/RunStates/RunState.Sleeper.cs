namespace Steward;

public partial class RunState
{
    /// <summary>
    /// A <see cref="SleepAsync"/> without a token of its own: a task that completes successfully when its timer fires,
    /// or is cancelled (carrying the token) when the RunState's token is cancelled first. One object, its task, a timer and one
    /// registration, about 40% less than an async method around <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>
    /// (it counts when thousands of workers sleep at once).
    /// </summary>
    private sealed class Sleeper : TaskCompletionSource
    {
        private ITimer? _timer;
        private CancellationToken _token;
        private CancellationTokenRegistration _registration;

        private Sleeper()
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
        }

        /// <summary>Starts a sleep of <paramref name="delay"/> (validated by the caller; infinite sleeps until the token is
        /// cancelled) that <paramref name="token"/> cancels.</summary>
        public static Task Start(TimeSpan delay, TimeProvider timeProvider, CancellationToken token)
        {
            var sleeper = new Sleeper();

            // Runs Finish at once if the token is already cancelled; Finish then finds no timer yet (see below).
            sleeper._token = token;
            sleeper._registration = token.UnsafeRegister(static state => ((Sleeper)state!).Finish(cancelled: true), sleeper);
            if (delay == Timeout.InfiniteTimeSpan)
            {
                return sleeper.Task; // only the token ends it
            }

            // Without the caller's execution context, as Task.Delay: the timer must not keep the worker's async-local
            // state alive, nor restore it on the timer thread just to complete a task.
            ITimer timer;
            if (ExecutionContext.IsFlowSuppressed())
            {
                timer = CreateTimer(timeProvider, sleeper, delay);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    timer = CreateTimer(timeProvider, sleeper, delay);
                }
            }

            // Dekker with Finish: it completes the task (a compare-and-swap) and then reads _timer; this publishes the timer
            // (a full fence) and then reads the task. One of the two sees the other, so the timer is always disposed.
            Interlocked.Exchange(ref sleeper._timer, timer);
            if (sleeper.Task.IsCompleted)
            {
                timer.Dispose();
            }

            return sleeper.Task;
        }

        private static ITimer CreateTimer(TimeProvider timeProvider, Sleeper sleeper, TimeSpan delay) =>
            timeProvider.CreateTimer(static state => ((Sleeper)state!).Finish(cancelled: false), sleeper, delay, Timeout.InfiniteTimeSpan);

        private void Finish(bool cancelled)
        {
            // The task's exception (a TaskCanceledException carrying the token) is made only if someone awaits it, on
            // their thread: cancelling thousands of sleepers at a stop allocates no exception here.
            if (!(cancelled ? TrySetCanceled(_token) : TrySetResult()))
            {
                return; // the other of timer and token came first
            }

            Volatile.Read(ref _timer)?.Dispose();

            // Unregister, not Dispose: it never waits for a callback running on another thread (which would be the
            // cancellation calling this very method, and which returns above).
            _registration.Unregister();
        }
    }
}
