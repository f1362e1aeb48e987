namespace Steward.Tasklets;

/// <summary>
/// A periodic timeout: armed, it fires every <see cref="Period"/>, counted from when it was armed. It stays armed
/// across consecutive waits that include it, so waiting on it again and again fires at +1, +2, +3 periods, not one
/// period after each wait. <see cref="Restart"/> counts from now. Ported from gtasklet's <c>WaitForTimeout</c>.
/// </summary>
/// <remarks>The schedule does not drift: each fire is due at a whole number of periods after the start; periods that
/// passed while the loop was busy coalesce into one fire.</remarks>
public sealed class TimeoutCondition : WaitCondition
{
    private static readonly TimerCallback s_onTimer = static state => ((Schedule)state!).OnTimer();

    private readonly TimeProvider? _timeProvider;
    private readonly Lock _lock = new();
    private Schedule? _schedule; // guarded by _lock; non-null while armed

    /// <summary>Creates the timeout, not armed.</summary>
    /// <param name="period">The period: positive and finite.</param>
    /// <param name="timeProvider">Its clock; defaults to the <see cref="TaskletLoop.TimeProvider"/> of the loop that
    /// arms it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive, or is infinite.</exception>
    public TimeoutCondition(TimeSpan period, TimeProvider? timeProvider = null)
    {
        if (period <= TimeSpan.Zero || period == Timeout.InfiniteTimeSpan || period.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A tasklet timeout needs a positive, finite period.");
        }

        Period = period;
        _timeProvider = timeProvider;
    }

    /// <summary>The period.</summary>
    public TimeSpan Period { get; }

    /// <summary>
    /// Counts the period from now: the next fire is one <see cref="Period"/> from now, and a fire not yet delivered is
    /// forgotten. Nothing happens when not armed (arming starts from zero anyway). From the owner's loop thread it
    /// takes effect at once; from another thread it is queued to the loop.
    /// </summary>
    public void Restart()
    {
        var owner = ArmedBy;
        if (owner is null)
        {
            return;
        }

        if (!owner.Loop.IsLoopThread)
        {
            owner.Loop.Enqueue(new WorkItem(WorkKind.Callback, null, static s => ((TimeoutCondition)s!).Restart(), this));
            return;
        }

        lock (_lock)
        {
            if (_schedule is null)
            {
                return;
            }

            _schedule.Stop();
            _schedule = new Schedule(this, _schedule.TimeProvider, Reissue());
            _schedule.Start();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"WaitFor.Timeout({Period})";

    /// <inheritdoc/>
    protected internal override void Arm(Tasklet tasklet)
    {
        ArgumentNullException.ThrowIfNull(tasklet);
        lock (_lock)
        {
            if (_schedule is not null)
            {
                return; // already armed: keep the schedule
            }

            _schedule = new Schedule(this, _timeProvider ?? tasklet.Loop.TimeProvider, Generation);
            _schedule.Start();
        }
    }

    /// <inheritdoc/>
    protected internal override void Disarm()
    {
        Schedule? schedule;
        lock (_lock)
        {
            schedule = _schedule;
            _schedule = null;
        }

        schedule?.Stop();
    }

    /// <summary>One armed run of the timer. A callback of a replaced schedule finds itself no longer current and does
    /// nothing, and its generation is stale anyway, so a disarmed or restarted timeout never fires late.</summary>
    private sealed class Schedule(TimeoutCondition owner, TimeProvider timeProvider, int generation)
    {
        private readonly long _origin = timeProvider.GetTimestamp();
        private long _periods; // guarded by owner._lock: periods elapsed (fired or coalesced)
        private ITimer? _timer;  // guarded by owner._lock

        public TimeProvider TimeProvider => timeProvider;

        public void Start() // under owner._lock
        {
            _timer = timeProvider.CreateTimer(s_onTimer, this, owner.Period, Timeout.InfiniteTimeSpan);
        }

        public void Stop() // under owner._lock or after leaving it
        {
            _timer?.Dispose();
        }

        public void OnTimer()
        {
            lock (owner._lock)
            {
                if (!ReferenceEquals(owner._schedule, this))
                {
                    return;
                }

                var elapsed = timeProvider.GetElapsedTime(_origin);
                var period = owner.Period.Ticks;
                _periods = Math.Max(_periods + 1, elapsed.Ticks / period);
                var next = TimeSpan.FromTicks(Math.Max(0, ((_periods + 1) * period) - elapsed.Ticks));
                _timer?.Change(next, Timeout.InfiniteTimeSpan);
            }

            owner.FireArmed(generation, null);
        }
    }
}
