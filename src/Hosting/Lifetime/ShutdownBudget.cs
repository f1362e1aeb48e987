using System.Runtime.CompilerServices;

namespace Steward.Hosting;

/// <summary>
/// The one shutdown budget shared by the stop path (workers, host nursery, resources): it starts when the host begins to
/// stop and lasts <see cref="StewardOptions.ShutdownTimeout"/>. Measured on the system clock: a shutdown deadline is
/// real time, whatever clock the workers are given.
/// </summary>
internal sealed class ShutdownBudget(StewardSettings settings)
{
    private static readonly TimeProvider s_clock = TimeProvider.System;

    private long _deadlineTicks = long.MaxValue; // UTC ticks; MaxValue until the stop begins

    public TimeSpan Timeout => settings.Current.ShutdownTimeout;

    /// <summary>Starts the budget; later calls keep the first deadline.</summary>
    public void Begin()
    {
        var deadline = (s_clock.GetUtcNow() + Timeout).UtcTicks;
        Interlocked.CompareExchange(ref _deadlineTicks, deadline, long.MaxValue);
    }

    /// <summary>What is left of the budget (the whole timeout if the stop has not begun).</summary>
    public TimeSpan Remaining
    {
        get
        {
            var deadline = Interlocked.Read(ref _deadlineTicks);
            if (deadline == long.MaxValue)
            {
                return Timeout;
            }

            var left = TimeSpan.FromTicks(deadline - s_clock.GetUtcNow().UtcTicks);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>
    /// A token that is cancelled when the budget runs out or <paramref name="cancellationToken"/> (the host's stop token)
    /// is: the "no longer graceful" token a stop that may be abandoned takes (<c>TaskNursery.CloseAsync</c>,
    /// <c>TaskletLoop.StopAsync</c>). Dispose the source once the stop is over.
    /// </summary>
    public CancellationTokenSource CreateDeadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Remaining);
        return deadline;
    }

    /// <summary>
    /// Waits for <paramref name="task"/> within the remaining budget, or until <paramref name="cancellationToken"/>;
    /// the await never throws (not the task's failure, nor the timeout, nor the cancellation). Afterwards
    /// <paramref name="task"/>'s <see cref="Task.IsCompleted"/> says whether it finished in time, and its
    /// <see cref="Task.Exception"/> how.
    /// </summary>
    /// <remarks>Not an async method: it runs once per stop, so each async state machine on the stop path is compiled
    /// while the process is being asked to exit.</remarks>
    public ConfiguredTaskAwaitable WaitAsync(Task task, CancellationToken cancellationToken) =>
        task.WaitAsync(Remaining, s_clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
