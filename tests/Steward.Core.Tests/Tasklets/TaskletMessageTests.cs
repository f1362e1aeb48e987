using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Steward.Tasklets;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.Tasklets;

public class TaskletMessageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Accept_defer_discard_and_the_default_action_dispatch_as_the_original()
    {
        var logger = new ListLogger();
        await using var loop = new TaskletLoop("actions", logger);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var receiver = loop.Spawn(async self =>
        {
            var received = new List<string>();
            var wait = self.WaitAsync(WaitFor.Messages(accept: ["a"], defer: ["b"], discard: ["c"]));
            waiting.SetResult();
            received.Add(Describe(await wait));
            received.Add(Describe(await self.WaitAsync(WaitFor.Messages(accept: ["b"]))));
            received.Add(Describe(await self.WaitAsync(WaitFor.Messages(accept: ["b"]))));
            return received;
        }, "receiver");

        await waiting.Task.WaitAsync(s_timeout);
        foreach (var (name, value) in new[] { ("b", 1), ("c", 2), ("x", 3), ("b", 4), ("a", 5) })
        {
            receiver.Post(new Message(name, value));
        }

        var received = (List<string>)(await receiver.Completion.WaitAsync(s_timeout))!;
        Assert.Equal(["a5", "b1", "b4"], received);

        // x3 had no action: discarded with a warning naming the message and its destination; c2 silently.
        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("'x'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'receiver'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discard_beats_defer_beats_accept()
    {
        await using var loop = new TaskletLoop("conflicts");
        var receiver = loop.Spawn(async self =>
        {
            var first = (Message)await self.WaitAsync(WaitFor.Messages(
                accept: ["both-ad", "all-three", "only-a", "both-ax"], defer: ["both-ad", "all-three"], discard: ["all-three", "both-ax"]));
            var second = (Message)await self.WaitAsync(WaitFor.Messages(accept: ["both-ad", "all-three", "both-ax"]));
            return $"{first.Name} {second.Name}";
        });

        // Whether they arrive during the first wait or are queued before it, each gets the same action.
        receiver.Post(new Message("both-ad"));   // deferred (defer beats accept)
        receiver.Post(new Message("all-three")); // discarded (discard beats both)
        receiver.Post(new Message("both-ax"));   // discarded (discard beats accept)
        receiver.Post(new Message("only-a"));    // accepted

        Assert.Equal("only-a both-ad", await receiver.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task DefaultMessageAction_decides_for_names_no_list_mentions()
    {
        var logger = new ListLogger();
        await using var loop = new TaskletLoop("default-action", logger);
        var receiver = loop.Spawn(async self =>
        {
            self.DefaultMessageAction = MessageAction.Defer;
            var first = (Message)await self.WaitAsync(WaitFor.Messages(accept: ["go"]));
            self.DefaultMessageAction = MessageAction.Accept;
            var second = (Message)await self.WaitAsync(WaitFor.Messages()); // lists nothing: the default accepts
            return $"{first.Name} {second.Name}";
        });

        receiver.Post(new Message("other"));
        receiver.Post(new Message("go"));
        Assert.Equal("go other", await receiver.Completion.WaitAsync(s_timeout));
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task A_deferred_message_is_delivered_in_arrival_order_when_a_later_wait_accepts_it()
    {
        await using var loop = new TaskletLoop("defer-order");
        var receiver = loop.Spawn(async self =>
        {
            var go = await self.WaitAsync(WaitFor.Messages(accept: ["go"], defer: ["job"]));
            var jobs = new List<object?>();
            for (var i = 0; i < 5; i++)
            {
                jobs.Add(((Message)await self.WaitAsync(WaitFor.Messages(accept: ["job"]))).Value);
            }

            return jobs;
        });

        for (var i = 0; i < 5; i++)
        {
            receiver.Post(new Message("job", i));
        }

        receiver.Post(new Message("go"));
        Assert.Equal(Enumerable.Range(0, 5).Cast<object?>(), (List<object?>)(await receiver.Completion.WaitAsync(s_timeout))!);
    }

    [Fact]
    public async Task When_a_timeout_wins_a_later_message_is_kept_and_the_disarmed_timeout_never_fires_late()
    {
        var clock = new TestClock();
        await using var loop = new TaskletLoop("timeout-wins", timeProvider: clock);
        var steps = Channel.CreateUnbounded<string>();
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(50));
        var later = WaitFor.Timeout(TimeSpan.FromMilliseconds(300));

        var tasklet = loop.Spawn(async self =>
        {
            var messages = WaitFor.Messages(accept: ["m"]);
            var first = self.WaitAsync(timeout, messages);
            steps.Writer.TryWrite("armed");
            Assert.Same(timeout, await first);
            steps.Writer.TryWrite("timeout won");
            await proceed.Task; // not waiting: the message arrives meanwhile

            var message = (Message)await self.WaitAsync(messages); // the timeout is disarmed here
            var third = self.WaitAsync(later, WaitFor.Messages(accept: ["n"]));
            steps.Writer.TryWrite($"got {message.Name}");
            var fired = await third;
            steps.Writer.TryWrite(ReferenceEquals(fired, later) ? $"later at {clock.Elapsed.TotalMilliseconds}" : $"other: {fired}");
        });

        Assert.Equal("armed", await ReadAsync(steps));
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal("timeout won", await ReadAsync(steps));
        tasklet.Post(new Message("m"));
        proceed.SetResult();
        Assert.Equal("got m", await ReadAsync(steps));
        Assert.False(timeout.IsArmed);

        // The 50 ms timeout would have fired at 100, 150, ... had it stayed armed.
        clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal("later at 350", await ReadAsync(steps));
        await tasklet.Completion.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task When_a_message_wins_the_timeout_is_disarmed_by_the_next_wait_and_never_delivered()
    {
        var clock = new TestClock();
        await using var loop = new TaskletLoop("message-wins", timeProvider: clock);
        var steps = Channel.CreateUnbounded<string>();
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timeout = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));
        var other = WaitFor.Timeout(TimeSpan.FromMilliseconds(400));

        var tasklet = loop.Spawn(async self =>
        {
            var first = self.WaitAsync(timeout, WaitFor.Messages(accept: ["m"]));
            steps.Writer.TryWrite("armed");
            var message = (Message)await first;
            steps.Writer.TryWrite($"got {message.Name}");
            await proceed.Task; // the timeout fires now, while the tasklet is busy: kept pending for it...

            var wait = self.WaitAsync(other); // ...but this wait leaves it out: disarmed, its fire forgotten
            steps.Writer.TryWrite("waiting");
            var next = await wait;
            steps.Writer.TryWrite(ReferenceEquals(next, other) ? $"other at {clock.Elapsed.TotalMilliseconds}" : $"wrong: {next}");
        });

        Assert.Equal("armed", await ReadAsync(steps));
        tasklet.Post(new Message("m"));
        Assert.Equal("got m", await ReadAsync(steps));
        clock.Advance(TimeSpan.FromMilliseconds(100)); // the message won; the timeout is still armed and fires
        await Task.Delay(20);
        proceed.SetResult();
        Assert.Equal("waiting", await ReadAsync(steps));
        clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal("other at 500", await ReadAsync(steps));
        Assert.False(timeout.IsArmed);
        await tasklet.Completion.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Posting_to_a_finished_tasklet_throws_a_ClosedException_naming_it()
    {
        await using var loop = new TaskletLoop("finished");
        var done = loop.Spawn(_ => Task.CompletedTask, "done");
        await done.Completion.WaitAsync(s_timeout);

        var error = Assert.Throws<ClosedException>(() => done.Post(new Message("late")));
        Assert.Contains("'done'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'late'", error.Message, StringComparison.Ordinal);

        var sender = loop.Spawn(async self =>
        {
            var thrown = await Assert.ThrowsAsync<ClosedException>(() => self.SendAsync(new Message("late") { Dest = done }).AsTask());
            return thrown.Message;
        });
        Assert.Contains("'done'", (string)(await sender.Completion.WaitAsync(s_timeout))!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_needs_a_destination_and_sets_the_sender()
    {
        await using var loop = new TaskletLoop("send");
        var receiver = loop.Spawn(async self => ((Message)await self.WaitAsync(WaitFor.Messages(accept: ["hi"]))).Sender, "receiver");
        var sender = loop.Spawn(async self =>
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => self.SendAsync(new Message("hi")).AsTask());
            Assert.Contains("Dest", error.Message, StringComparison.Ordinal);
            var sending = self.SendAsync(new Message("hi") { Dest = receiver });
            Assert.Equal(TaskletState.SendingMessage, self.State);
            await sending;
            Assert.Equal(TaskletState.Running, self.State);
        }, "sender");

        await sender.Completion.WaitAsync(s_timeout);
        Assert.Same(sender, await receiver.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Messages_left_in_the_queue_of_a_finishing_tasklet_are_logged()
    {
        var logger = new ListLogger();
        await using var loop = new TaskletLoop("leftovers", logger);
        // "never-read" is deferred into the queue, then "go" ends the tasklet with it still there.
        var tasklet = loop.Spawn(async self => await self.WaitAsync(WaitFor.Messages(accept: ["go"], defer: ["never-read"])), "busy");
        tasklet.Post(new Message("never-read"));
        tasklet.Post(new Message("go"));
        await tasklet.Completion.WaitAsync(s_timeout);

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("'busy'", warning.Message, StringComparison.Ordinal);
        Assert.Contains("never-read", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Messages_posted_from_several_threads_all_arrive_in_order_per_thread()
    {
        const int Threads = 4;
        const int PerThread = 5_000;
        await using var loop = new TaskletLoop("posters");
        var receiver = loop.Spawn(async self =>
        {
            var next = new int[Threads];
            var accept = WaitFor.Messages(accept: ["m"]);
            for (var i = 0; i < Threads * PerThread; i++)
            {
                var message = (Message)await self.WaitAsync(accept);
                var (thread, seq) = ((int, int))message.Value!;
                Assert.Equal(next[thread], seq);
                next[thread]++;
            }

            return next.Sum();
        });

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                receiver.Post(new Message("m", (t, i)));
            }
        })));

        Assert.Equal(Threads * PerThread, await receiver.Completion.WaitAsync(s_timeout));
    }

    private static string Describe(object fired) =>
        fired is Message message ? $"{message.Name}{message.Value}" : $"condition {fired}";

    private static async Task<string> ReadAsync(Channel<string> steps) =>
        await steps.Reader.ReadAsync().AsTask().WaitAsync(s_timeout);
}
