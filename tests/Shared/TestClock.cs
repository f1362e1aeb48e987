using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Steward.Testing;

/// <summary>
/// Microsoft.Extensions.TimeProvider.Testing's <see cref="FakeTimeProvider"/> (the clock the test moves with
/// <see cref="FakeTimeProvider.Advance"/>), plus the two things these tests need that it lacks: the due time of every
/// one-shot timer is announced on <see cref="Delays"/> (so a test waits for the back-off it expects instead of guessing
/// when it was scheduled), and <see cref="ActiveTimers"/> counts the armed timers (so a test sees a timer disposed).
/// </summary>
internal sealed class TestClock : FakeTimeProvider
{
    private int _armed;

    /// <summary>The due time of every one-shot timer created, in creation order.</summary>
    public Channel<TimeSpan> Delays { get; } = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>How far the clock has moved since it was made.</summary>
    public TimeSpan Elapsed => GetUtcNow() - Start;

    /// <summary>The number of armed timers: created or changed with a due time, and neither fired (one-shot) nor
    /// disposed since.</summary>
    public int ActiveTimers => Volatile.Read(ref _armed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new CountedTimer(this, callback, state);
        timer.Inner = base.CreateTimer(static s => ((CountedTimer)s!).Fire(), timer, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(dueTime, period);
        if (period == Timeout.InfiniteTimeSpan && dueTime != Timeout.InfiniteTimeSpan)
        {
            Delays.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Waits for the next one-shot delay something asks for.</summary>
    public async Task<TimeSpan> NextDelayAsync() =>
        await Delays.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    private sealed class CountedTimer(TestClock owner, TimerCallback callback, object? state) : ITimer
    {
        private readonly Lock _lock = new();
        private bool _armed;
        private bool _periodic;
        private bool _disposed;

        public ITimer Inner { get; set; } = null!;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return false;
                }

                _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
                SetArmed(dueTime != Timeout.InfiniteTimeSpan);
            }

            // Outside the lock: the fake clock may hold its own while it fires this timer.
            return Inner.Change(dueTime, period);
        }

        public void Fire()
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                SetArmed(_periodic);
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _disposed = true;
                SetArmed(false);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void SetArmed(bool armed) // under _lock
        {
            if (armed != _armed)
            {
                _armed = armed;
                Interlocked.Add(ref owner._armed, armed ? 1 : -1);
            }
        }
    }
}
