using Steward.Tasklets;

namespace Steward.Tests.Tasklets;

/// <summary>
/// <see cref="Tasklet.WaitAsync{TResult}"/> and <see cref="Tasklet.ReceiveAsync"/>: the result comes typed, whether the
/// wait completes at once (a queued message, a pending fire) or after suspending; a type some condition cannot return is
/// rejected before anything is armed or consumed.
/// </summary>
public class TaskletTypedWaitTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static Action Calling<T>(Func<ValueTask<T>> call) => () => call().AsTask();

    [Fact]
    public async Task WaitAsync_of_Message_returns_the_accepted_message_queued_or_arriving()
    {
        await using var loop = new TaskletLoop("typed-message");
        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = loop.Spawn(async self =>
        {
            await self.WaitAsync(WaitFor.Task(posted.Task));
            var accept = WaitFor.Messages(accept: ["first", "second"]);
            Message queued = await self.WaitAsync<Message>(accept);   // queued before the wait: completes at once
            var wait = self.WaitAsync<Message>(accept);
            waiting.SetResult();
            Message arriving = await wait;                            // arrives while suspended
            return $"{queued.Name}={queued.Value} {arriving.Name}={arriving.Value}";
        }, "receiver");

        receiver.Post(new Message("first", 1));
        posted.SetResult();
        await waiting.Task.WaitAsync(s_timeout);
        receiver.Post(new Message("second", 2));

        Assert.Equal("first=1 second=2", await receiver.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task WaitAsync_of_a_condition_type_returns_the_condition_that_fired()
    {
        await using var loop = new TaskletLoop("typed-condition");
        var tasklet = loop.Spawn(async self =>
        {
            var inline = new InlineCondition();                       // pending before the wait: completes at once
            InlineCondition fired = await self.WaitAsync<InlineCondition>(inline);

            var tick = WaitFor.Timeout(TimeSpan.FromMilliseconds(10)); // after suspending
            TimeoutCondition ticked = await self.WaitAsync<TimeoutCondition>(tick);

            var never = WaitFor.Task(new TaskCompletionSource().Task);
            WaitCondition either = await self.WaitAsync<WaitCondition>(never, tick);
            object any = await self.WaitAsync<object>(WaitFor.Messages(accept: ["none"]), tick);
            return fired == inline && ticked == tick && either == tick && any == tick;
        });

        Assert.Equal(true, await tasklet.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_type_some_condition_cannot_return_throws_at_once_naming_it_and_consumes_nothing()
    {
        await using var loop = new TaskletLoop("typed-mismatch");
        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(async self =>
        {
            await self.WaitAsync(WaitFor.Task(posted.Task));
            var messages = WaitFor.Messages(accept: ["ping"]);
            var tick = WaitFor.Timeout(TimeSpan.FromMilliseconds(10));
            var timeoutIsNoMessage = Assert.Throws<ArgumentException>(Calling(() => self.WaitAsync<Message>(messages, tick)));
            var messageIsNoTimeout = Assert.Throws<ArgumentException>(Calling(() => self.WaitAsync<TimeoutCondition>(tick, messages)));

            // Nothing was armed, nothing taken: the queued ping is still there, and the tasklet waits on.
            var queued = self.QueuedMessageCount;
            var ping = await self.WaitAsync<Message>(messages);
            return (timeoutIsNoMessage, messageIsNoTimeout, queued, ping.Name, tick.ArmedBy);
        }, "mismatch");
        tasklet.Post(new Message("ping"));
        posted.SetResult();

        var (timeoutIsNoMessage, messageIsNoTimeout, queued, ping, armedBy) =
            ((ArgumentException, ArgumentException, int, string, Tasklet?))(await tasklet.Completion.WaitAsync(s_timeout))!;
        Assert.Equal("conditions", timeoutIsNoMessage.ParamName);
        Assert.Contains("Tasklet 'mismatch': WaitAsync<Message>", timeoutIsNoMessage.Message, StringComparison.Ordinal);
        Assert.Contains("condition #1 (WaitFor.Timeout(", timeoutIsNoMessage.Message, StringComparison.Ordinal);
        Assert.Contains("not a Message", timeoutIsNoMessage.Message, StringComparison.Ordinal);
        Assert.Contains("WaitAsync<TimeoutCondition>", messageIsNoTimeout.Message, StringComparison.Ordinal);
        Assert.Contains("condition #1 (WaitFor.Messages(accept: ping", messageIsNoTimeout.Message, StringComparison.Ordinal);
        Assert.Contains("returns the Message it accepts", messageIsNoTimeout.Message, StringComparison.Ordinal);
        Assert.Equal(1, queued);
        Assert.Equal("ping", ping);
        Assert.Null(armedBy);
    }

    [Fact]
    public async Task An_uncaught_type_mismatch_fails_the_tasklet_with_the_error()
    {
        await using var loop = new TaskletLoop("typed-uncaught");
        var tasklet = loop.Spawn(async self =>
        {
            await self.WaitAsync<Message>(WaitFor.Idle());
        }, "uncaught");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => tasklet.Completion.WaitAsync(s_timeout));
        Assert.Contains("Tasklet 'uncaught': WaitAsync<Message> waits on condition #0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReceiveAsync_returns_the_first_message_with_an_accepted_name_and_leaves_deferred_ones_queued()
    {
        await using var loop = new TaskletLoop("receive");
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = loop.Spawn(async self =>
        {
            self.DefaultMessageAction = MessageAction.Defer;
            var received = new List<string>();
            var wait = self.ReceiveAsync("b", "c");
            waiting.SetResult();
            received.Add((await wait).Name);
            received.Add((await self.ReceiveAsync("b", "c")).Name); // the same names: the same condition, kept armed
            received.Add((await self.ReceiveAsync("a")).Name);      // the deferred one
            return (received, self.QueuedMessageCount);
        }, "receiver");

        await waiting.Task.WaitAsync(s_timeout);
        receiver.Post(new Message("a"));
        receiver.Post(new Message("c"));
        receiver.Post(new Message("b"));

        var (received, left) = ((List<string>, int))(await receiver.Completion.WaitAsync(s_timeout))!;
        Assert.Equal(["c", "b", "a"], received);
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task ReceiveAsync_needs_names_and_its_own_tasklet()
    {
        await using var loop = new TaskletLoop("receive-errors");
        var tasklet = loop.Spawn(async self =>
        {
            var none = Assert.Throws<ArgumentException>(Calling(() => self.ReceiveAsync()));
            var nullName = Assert.Throws<ArgumentException>(Calling(() => self.ReceiveAsync("a", null!)));
            await self.WaitAsync(WaitFor.Messages(accept: ["go"]));
            return (none, nullName);
        }, "names");

        var outside = Assert.Throws<InvalidOperationException>(Calling(() => tasklet.ReceiveAsync("a")));
        tasklet.Post(new Message("go"));
        var (none, nullName) = ((ArgumentException, ArgumentException))(await tasklet.Completion.WaitAsync(s_timeout))!;

        Assert.Contains("Tasklet 'names': ReceiveAsync needs at least one message name", none.Message, StringComparison.Ordinal);
        Assert.Contains("ReceiveAsync message name #1 is null", nullName.Message, StringComparison.Ordinal);
        Assert.Contains("Tasklet 'names': ReceiveAsync must be called by the tasklet itself", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_wait_is_cancelled_when_the_loop_stops()
    {
        await using var loop = new TaskletLoop("typed-stop");
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = loop.Spawn(async self =>
        {
            var wait = self.ReceiveAsync("never");
            waiting.SetResult();
            await wait;
        });

        await waiting.Task.WaitAsync(s_timeout);
        await loop.StopAsync().AsTask().WaitAsync(s_timeout);
        Assert.True(receiver.Completion.IsCanceled);
    }

    [Fact]
    public async Task A_typed_round_trip_between_two_tasklets_allocates_nothing_beyond_the_messages()
    {
        const int Warmup = 200;
        const int Measured = 10_000;
        await using var loop = new TaskletLoop("typed-allocations");
        var ping = new Message("ping");
        var pong = new Message("pong");

        // Every typed wait here suspends (none finds its result ready: the echo posts the pong, so it is back in
        // ReceiveAsync before the next ping), so each resumes through a typed source; the echo has two, for Message and
        // for WaitCondition.
        var echo = loop.Spawn(async self =>
        {
            var idle = WaitFor.Idle();
            var ready = 0;
            while (true)
            {
                var receive = self.ReceiveAsync("ping", "quit");
                ready += receive.IsCompleted ? 1 : 0;
                var request = await receive;
                if (request.Name == "quit")
                {
                    return ready;
                }

                var idleWait = self.WaitAsync<WaitCondition>(idle); // fires once the pinger waits for the pong
                ready += idleWait.IsCompleted ? 1 : 0;
                await idleWait;
                request.Sender!.Post(pong);
            }
        });

        var pinger = loop.Spawn(async self =>
        {
            var accept = WaitFor.Messages(accept: ["pong"]);
            ping.Dest = echo;
            long before = 0;
            var replies = 0;
            var ready = 0;
            for (var i = 0; i < Warmup + Measured; i++)
            {
                if (i == Warmup)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }

                await self.SendAsync(ping);
                var wait = self.WaitAsync<Message>(accept);
                ready += wait.IsCompleted ? 1 : 0;
                Message reply = await wait;
                replies += ReferenceEquals(reply, pong) ? 1 : 0;
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await self.SendAsync(new Message("quit") { Dest = echo });
            return (allocated, replies, ready);
        });

        Assert.Equal((0L, Warmup + Measured, 0), ((long, int, int))(await pinger.Completion.WaitAsync(s_timeout))!);
        Assert.Equal(0, await echo.Completion.WaitAsync(s_timeout));
    }

    /// <summary>Fires inside Arm: the fire is pending before the wait even starts.</summary>
    private sealed class InlineCondition : WaitCondition
    {
        protected internal override void Arm(Tasklet tasklet) => Fire("inline");

        protected internal override void Disarm()
        {
        }
    }
}
