using Steward.Coordination;

namespace Steward.Tests.Coordination;

public class AccessorTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetAsync_without_arguments_waits_for_the_next_write_even_if_a_value_exists()
    {
        var accessor = new Accessor<int>(1);
        var read = accessor.GetAsync();
        await WaitForReaderAsync(accessor);
        Assert.False(read.IsCompleted);

        await accessor.SetAsync(2);

        Assert.Equal(2, await read.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_reader_predicate_that_throws_fails_the_writer_and_the_readers_served_before_it_still_get_the_value()
    {
        var accessor = new Accessor<int>(0);
        var served = accessor.GetAsync(); // waits first, so the write serves it first
        var throwing = accessor.GetAsync(v => v > 5 ? throw new InvalidOperationException("bad predicate") : false, waitForWrite: true);
        Assert.Equal(2, accessor.WaitingReaders); // the lock was free: both registered synchronously, in this order

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => accessor.SetAsync(7));

        Assert.Equal("bad predicate", error.Message);
        Assert.Equal(7, await served.WaitAsync(s_timeout)); // delivered, not lost with the writer's failure
        Assert.False(throwing.IsCompleted);                 // the reader whose predicate threw keeps waiting
        Assert.Equal(1, accessor.WaitingReaders);
    }

    [Fact]
    public async Task A_predicate_matching_the_current_value_returns_at_once()
    {
        var accessor = new Accessor<int>(5);
        var read = accessor.GetAsync(v => v > 3);
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(5, await read);
    }

    [Fact]
    public async Task WaitForWrite_true_skips_non_matching_writes_and_returns_the_first_matching_one()
    {
        var accessor = new Accessor<int>(10);
        var read = accessor.GetAsync(v => v > 5, waitForWrite: true); // 10 matches, but only later writes count
        await WaitForReaderAsync(accessor);

        await accessor.SetAsync(3);
        Assert.False(read.IsCompleted);
        await accessor.SetAsync(7);
        await accessor.SetAsync(9);

        Assert.Equal(7, await read.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task WaitForWrite_false_without_a_predicate_returns_the_current_value_at_once()
    {
        var accessor = new Accessor<string>("now");
        var read = accessor.GetAsync(waitForWrite: false);
        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal("now", await read);
    }

    [Fact]
    public async Task SetAsync_with_waitForRead_waits_for_a_reader_every_time_and_that_reader_gets_the_value()
    {
        var accessor = new Accessor<int>(0);
        var first = accessor.SetAsync(1, waitForRead: true);
        await Task.Delay(50); // a chance to (wrongly) write without a reader
        Assert.False(first.IsCompleted);
        Assert.Equal(0, accessor.Value);

        var reader1 = accessor.GetAsync();
        await first.WaitAsync(s_timeout);
        Assert.Equal(1, await reader1.WaitAsync(s_timeout));

        // Every time: the reader above was served, so the next write waits for a new one.
        var second = accessor.SetAsync(2, waitForRead: true);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        var reader2 = accessor.GetAsync();
        await second.WaitAsync(s_timeout);
        Assert.Equal(2, await reader2.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Back_to_back_handed_off_writes_each_reach_their_own_reader()
    {
        var accessor = new Accessor<int>();
        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 200; i++)
            {
                await accessor.SetAsync(i, waitForRead: true);
            }
        });

        for (var i = 1; i <= 200; i++)
        {
            Assert.Equal(i, await accessor.GetAsync().WaitAsync(s_timeout));
        }

        await writer.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task A_cancelled_GetAsync_leaves_no_waiter_behind()
    {
        var accessor = new Accessor<int>(0);
        using var cts = new CancellationTokenSource();
        var read = accessor.GetAsync(cancellationToken: cts.Token);
        await WaitForReaderAsync(accessor);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(s_timeout));
        Assert.Equal(0, accessor.WaitingReaders);
        var writer = accessor.SetAsync(1, waitForRead: true);
        await Task.Delay(50);
        Assert.False(writer.IsCompleted); // the cancelled reader does not count as waiting
        var reader = accessor.GetAsync();
        await writer.WaitAsync(s_timeout);
        Assert.Equal(1, await reader);
    }

    [Fact]
    public async Task A_parked_write_cancelled_as_a_reader_takes_it_either_happened_or_did_not_never_both()
    {
        var accessor = new Accessor<int>(0);
        using var go = new Barrier(2);
        for (var i = 1; i <= 3_000; i++)
        {
            using var cts = new CancellationTokenSource();
            var writer = accessor.SetAsync(i, waitForRead: true, cts.Token);
            var reader = Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                return accessor.GetAsync(waitForWrite: true);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            var spin = i % 97; // the cancel lands before, during and after the reader's take
            await Task.Factory.StartNew(() =>
            {
                go.SignalAndWait();
                Thread.SpinWait(spin);
                cts.Cancel();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            bool wrote;
            try
            {
                await writer.WaitAsync(s_timeout);
                wrote = true;
            }
            catch (OperationCanceledException)
            {
                wrote = false;
            }

            if (!wrote)
            {
                _ = accessor.SetAsync(-i, waitForRead: true); // what the reader gets instead
            }

            Assert.Equal(wrote ? i : -i, await reader.WaitAsync(s_timeout));
        }
    }

    [Fact]
    public async Task A_custom_getter_and_setter_are_used_and_a_throwing_setter_notifies_nobody()
    {
        var backing = 1;
        var sets = 0;
        var accessor = new Accessor<int>(() => backing, v =>
        {
            if (v < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(v), v, "negative");
            }

            sets++;
            backing = v * 10;
        }, name: "custom");

        Assert.Equal(1, await accessor.GetAsync(waitForWrite: false));
        var read = accessor.GetAsync();
        await WaitForReaderAsync(accessor);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => accessor.SetAsync(-1));
        Assert.Equal(-1, error.ActualValue); // the setter's own exception, as it threw it
        Assert.False(read.IsCompleted); // nobody notified
        Assert.Equal(1, accessor.WaitingReaders);

        await accessor.SetAsync(4);
        Assert.Equal(4, await read.WaitAsync(s_timeout)); // readers get the written value
        Assert.Equal(40, accessor.Value);                  // the getter reads the backing store
        Assert.Equal(1, sets);
    }

    [Fact]
    public async Task A_waitForRead_write_cancelled_before_any_reader_is_never_written()
    {
        var accessor = new Accessor<int>(0);
        using var cts = new CancellationTokenSource();
        var abandoned = accessor.SetAsync(1, waitForRead: true, cts.Token);
        await Task.Delay(20);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(s_timeout));

        var read = accessor.GetAsync();
        await Task.Delay(20);
        Assert.False(read.IsCompleted); // the abandoned value is not handed to the next reader
        Assert.Equal(0, accessor.Value);
        await accessor.SetAsync(2);
        Assert.Equal(2, await read.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_waiting_write_whose_setter_throws_fails_its_writer_and_the_reader_keeps_waiting()
    {
        var accessor = new Accessor<int>(() => 0, v =>
        {
            if (v < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(v), v, "negative");
            }
        });
        var bad = accessor.SetAsync(-5, waitForRead: true);
        var good = accessor.SetAsync(7, waitForRead: true);
        await Task.Delay(20);

        var read = accessor.GetAsync(); // arrives: performs the parked writes in order

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bad.WaitAsync(s_timeout));
        await good.WaitAsync(s_timeout);
        Assert.Equal(7, await read.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_reader_with_a_predicate_performs_parked_writes_until_one_matches()
    {
        var accessor = new Accessor<int>(0);
        var writes = new[] { 1, 2, 30, 4 }.Select(v => accessor.SetAsync(v, waitForRead: true)).ToArray();
        await Task.Delay(20);

        var big = await accessor.GetAsync(v => v > 10, waitForWrite: true).WaitAsync(s_timeout);

        Assert.Equal(30, big);
        await Task.WhenAll(writes.Take(3)).WaitAsync(s_timeout); // written: each had this reader waiting
        Assert.False(writes[3].IsCompleted);                      // the reader was served: 4 waits for another
        Assert.Equal(4, await accessor.GetAsync().WaitAsync(s_timeout));
        await writes[3].WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WhenReadWaitingAsync_completes_once_a_reader_waits()
    {
        var accessor = new Accessor<int>();
        var waiting = accessor.WhenReadWaitingAsync();
        await Task.Delay(20);
        Assert.False(waiting.IsCompleted);

        var read = accessor.GetAsync();
        await waiting.WaitAsync(s_timeout);
        await accessor.SetAsync(3);
        Assert.Equal(3, await read);
    }

    [Fact]
    public async Task ForProperty_creates_one_accessor_over_the_property_lazily()
    {
        var sensor = new Sensor();
        Assert.Same(sensor.Level, sensor.Level);
        Assert.Equal(nameof(Sensor.Level), sensor.Level.Name);

        var read = sensor.Level.GetAsync(l => l > 10);
        await sensor.Level.SetAsync(12);

        Assert.Equal(12, await read.WaitAsync(s_timeout));
        Assert.Equal(12, sensor.RawLevel);
    }

    private static async Task WaitForReaderAsync<T>(Accessor<T> accessor) =>
        await accessor.WhenReadWaitingAsync().WaitAsync(s_timeout);

    private sealed class Sensor
    {
        private Accessor<int>? _levelAccessor;

        public int RawLevel { get; private set; }

        public Accessor<int> Level => Accessor.ForProperty(ref _levelAccessor, () => RawLevel, v => RawLevel = v);
    }
}
