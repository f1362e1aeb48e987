using System.Diagnostics;

namespace Steward;

public partial class RunState
{
    /// <summary>
    /// The sleeps of one run (one <see cref="Token"/>) without a token of their own, one after another: one timer made at
    /// the run's first sleep and re-armed by each, and a registration on the run's token per sleep (whose node the token's
    /// source reuses), so each sleep costs only its task (a worker loop sleeping ten times a second allocates about a
    /// quarter of what a fresh timer, registration and promise per sleep did). A second sleep while one is in progress
    /// (two flows sleeping on one RunState) takes the one-off <see cref="Sleeper"/> instead.
    /// </summary>
    /// <remarks>
    /// Invariants: <see cref="_current"/> holds the sleep in progress and is taken (exchanged for null) exactly once, by
    /// the timer or by the run's cancellation (which may run inside <see cref="TryStart"/>'s registration, when the token
    /// is cancelled already); only its taker completes it. <see cref="_busy"/> is 1 from a sleep's start until the timer
    /// released it (a cancellation never does: the run is over), so at most one sleep uses the timer; the timer is changed
    /// only by the sleep that owns it, after the previous sleep's timer callback ran.
    /// </remarks>
    [DebuggerDisplay("RunSleeper: {_busy == 1 ? \"sleeping\" : \"idle\",nq}")]
    private sealed class RunSleeper
    {
        private readonly ITimer _timer;
        private CancellationTokenRegistration _registration;
        private TaskCompletionSource? _current;
        private int _busy;

        /// <summary>Makes the sleeper of the run whose token is <paramref name="token"/>; its timer starts unarmed.</summary>
        public RunSleeper(TimeProvider timeProvider, CancellationToken token)
        {
            Token = token;

            // Without the caller's execution context, as Task.Delay: the timer must not keep the first sleeper's async-local
            // state alive, nor restore it on the timer thread just to complete a task.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _timer = CreateTimer(timeProvider);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _timer = CreateTimer(timeProvider);
                }
            }
        }

        /// <summary>The run's token: it cancels the sleep in progress, and this sleeper with it.</summary>
        public CancellationToken Token { get; }

        /// <summary>Starts a sleep (validated by the caller: positive or infinite); <see langword="null"/> if another sleep is
        /// using this sleeper.</summary>
        public Task? TryStart(TimeSpan delay)
        {
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                return null;
            }

            var sleep = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _current, sleep);

            // Registered for this sleep only, as the newest registration on the token: a cancellation reaches the sleeping
            // worker first (the token's callbacks run newest first), and the token keeps no registration between sleeps.
            // Runs OnCancelled here, at once, if the token is cancelled already. (The token's source reuses the nodes of
            // unregistered callbacks, so this allocates nothing once warm.)
            _registration = Token.UnsafeRegister(static s => ((RunSleeper)s!).OnCancelled(), this);
            if (delay != Timeout.InfiniteTimeSpan && Volatile.Read(ref _current) == sleep)
            {
                try
                {
                    _timer.Change(delay, Timeout.InfiniteTimeSpan); // a cancellation from here on finds the sleep and takes it
                }
                catch (ObjectDisposedException)
                {
                    // The cancellation took the sleep and disposed the timer between the check and the change: nothing to arm.
                }
            }

            return sleep.Task;
        }

        private ITimer CreateTimer(TimeProvider timeProvider) =>
            timeProvider.CreateTimer(static s => ((RunSleeper)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        private void OnTimer()
        {
            if (Interlocked.Exchange(ref _current, null) is not { } sleep)
            {
                return; // the cancellation took it
            }

            // Unregister, not Dispose: it never waits for a callback running on another thread (which would be the
            // cancellation calling OnCancelled, and which finds no sleep).
            _registration.Unregister();
            Volatile.Write(ref _busy, 0); // before the completion: the sleeper's continuation may sleep again at once
            sleep.TrySetResult();
        }

        private void OnCancelled()
        {
            if (Interlocked.Exchange(ref _current, null) is { } sleep)
            {
                // The run is over: no later sleep uses this sleeper (SleepAsync tests the token first), so the timer goes.
                // The task's exception is made only if someone awaits it, on their thread.
                sleep.TrySetCanceled(Token);
                _timer.Dispose();
            }
        }
    }
}
