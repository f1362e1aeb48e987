using Microsoft.Extensions.Logging;
using Steward.Tasklets;
using Steward.Tests.Support;

namespace Steward.Tests.Tasklets;

public class TaskletLoopTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>An action that makes the call and drops the ValueTask, for Assert.Throws on synchronous throws.</summary>
    private static Action Calling(Func<ValueTask<object>> call) => () => call().AsTask();

    private static Action Calling(Func<ValueTask> call) => () => call().AsTask();

    [Fact]
    public async Task Every_body_observes_the_loops_one_managed_thread_id_across_every_kind_of_await()
    {
        await using var loop = new TaskletLoop("one-thread");
        var external = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var threads = new List<(string, int, Tasklet?)>();

        Tasklet[] tasklets = [.. Enumerable.Range(0, 5).Select(i => loop.Spawn(async self =>
        {
            threads.Add(("start", Environment.CurrentManagedThreadId, Tasklet.Current));
            await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(5)));
            threads.Add(("timeout", Environment.CurrentManagedThreadId, Tasklet.Current));
            await Task.Delay(5);
            threads.Add(("delay", Environment.CurrentManagedThreadId, Tasklet.Current));
            await Task.Run(() => { }); // completes on the pool
            threads.Add(("pool", Environment.CurrentManagedThreadId, Tasklet.Current));
            await external.Task;
            threads.Add(("external", Environment.CurrentManagedThreadId, Tasklet.Current));
            await Task.Yield();
            threads.Add(("yield", Environment.CurrentManagedThreadId, Tasklet.Current));
            Assert.Same(self, Tasklet.Current);
        }, $"t{i}"))];

        await Task.Delay(50);
        external.SetResult();
        await Task.WhenAll(tasklets.Select(t => t.Completion)).WaitAsync(s_timeout);

        Assert.Equal(30, threads.Count);
        Assert.All(threads, entry => Assert.Equal(loop.ManagedThreadId, entry.Item2));
        Assert.All(threads, entry => Assert.NotNull(entry.Item3));
        Assert.NotEqual(Environment.CurrentManagedThreadId, loop.ManagedThreadId);
        Assert.Null(Tasklet.Current);
    }

    [Fact]
    public async Task Join_callbacks_run_once_each_in_insertion_order_and_a_removed_one_is_not_called()
    {
        await using var loop = new TaskletLoop("joins");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(async _ =>
        {
            await gate.Task;
            return "done";
        }, "joined");
        var calls = new List<string>();

        tasklet.AddJoinCallback((t, value) => calls.Add($"first {t.Name} {value}"));
        var second = tasklet.AddJoinCallback((_, _) => calls.Add("second"));
        var third = tasklet.AddJoinCallback((_, value) => calls.Add($"third {value}"));
        tasklet.AddJoinCallback((_, _) => throw new InvalidOperationException("a failing callback"));
        tasklet.AddJoinCallback((_, _) => calls.Add("after the failing one"));
        tasklet.RemoveJoinCallback(second);

        gate.SetResult();
        await tasklet.Completion.WaitAsync(s_timeout);
        Assert.Equal(["first joined done", "third done", "after the failing one"], calls);

        var ran = Assert.Throws<InvalidOperationException>(() => tasklet.RemoveJoinCallback(third));
        Assert.Contains("'joined'", ran.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => tasklet.RemoveJoinCallback(second)); // already removed
        Assert.Throws<InvalidOperationException>(() => tasklet.RemoveJoinCallback(12345)); // never issued

        // Added after the finish: runs once, soon, with the return value.
        var late = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        tasklet.AddJoinCallback((_, value) => late.SetResult(value));
        Assert.Equal("done", await late.Task.WaitAsync(s_timeout));
        Assert.Equal(3, calls.Count);
    }

    [Fact]
    public async Task A_body_that_throws_faults_its_Completion_is_logged_and_the_others_go_on()
    {
        var logger = new ListLogger();
        await using var loop = new TaskletLoop("faults", logger);
        var survivor = loop.Spawn(async self =>
        {
            await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(20)));
            return "still here";
        });
        var failing = loop.Spawn<int>(async self =>
        {
            await Task.Yield();
            throw new FormatException("boom");
        }, "failing");
        var failingSync = loop.Spawn(_ => throw new NotSupportedException("sync boom"), "failing-sync");

        Assert.Equal("boom", (await Assert.ThrowsAsync<FormatException>(() => failing.Completion.WaitAsync(s_timeout))).Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => failingSync.Completion.WaitAsync(s_timeout));
        Assert.Equal("still here", await survivor.Completion.WaitAsync(s_timeout));
        Assert.Null(failing.ReturnValue);

        var errors = logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Contains(errors, e => e.Exception is FormatException && e.Message.Contains("'failing'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Exception is NotSupportedException && e.Message.Contains("'failing-sync'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopAsync_cancels_every_pending_wait_and_completes_once_all_tasklets_ended()
    {
        var loop = new TaskletLoop("stop");
        var waiting = new CountdownEvent(3);
        var cleanupDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var onMessages = loop.Spawn(async self =>
        {
            var wait = self.WaitAsync(WaitFor.Messages(accept: ["never"]));
            waiting.Signal();
            await wait;
        });
        var onTimeout = loop.Spawn(async self =>
        {
            var wait = self.WaitAsync(WaitFor.Timeout(TimeSpan.FromHours(1)));
            waiting.Signal();
            await wait;
        });
        var cleaning = loop.Spawn(async self =>
        {
            try
            {
                var wait = self.WaitAsync(WaitFor.Timeout(TimeSpan.FromHours(1)), WaitFor.Messages(accept: ["never"]));
                waiting.Signal();
                await wait;
                return "not cancelled";
            }
            catch (OperationCanceledException)
            {
                // A later wait throws at once as well; other awaits still work, so cleanup can take a moment.
                await Assert.ThrowsAsync<OperationCanceledException>(() => self.WaitAsync(WaitFor.Idle()).AsTask());
                await Task.Delay(50, CancellationToken.None);
                cleanupDone.SetResult();
                return "cleaned up";
            }
        });

        Assert.True(waiting.Wait(s_timeout));
        var stop = loop.StopAsync().AsTask();
        Assert.True(loop.IsStopping);
        Assert.True(loop.StoppingToken.IsCancellationRequested || !stop.IsCompleted);
        await stop.WaitAsync(s_timeout);

        Assert.True(cleanupDone.Task.IsCompleted, "StopAsync completed before the cleaning tasklet ended");
        Assert.True(onMessages.Completion.IsCanceled);
        Assert.True(onTimeout.Completion.IsCanceled);
        Assert.Equal("cleaned up", await cleaning.Completion);
        Assert.All(new[] { onMessages, onTimeout, cleaning }, t => Assert.Equal(TaskletState.Finished, t.State));
        Assert.Equal(0, loop.Count);
        Assert.True(loop.StoppingToken.IsCancellationRequested);

        // Idempotent, and the loop refuses new work.
        await loop.StopAsync();
        await loop.DisposeAsync();
        Assert.Throws<ClosedException>(() => loop.Spawn(_ => Task.CompletedTask, "too-late"));
    }

    [Fact]
    public async Task StopAsync_on_an_empty_loop_completes()
    {
        var loop = new TaskletLoop("empty");
        await loop.StopAsync().AsTask().WaitAsync(s_timeout);
        Assert.Throws<ClosedException>(() => loop.Spawn(_ => Task.CompletedTask));
    }

    [Fact]
    public async Task Waiting_from_outside_the_tasklet_throws_naming_the_tasklet()
    {
        await using var loop = new TaskletLoop("outside");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = loop.Spawn(async self => await self.WaitAsync(WaitFor.Task(gate.Task)), "target");

        // From the test thread.
        var fromTest = Assert.Throws<InvalidOperationException>(Calling(() => target.WaitAsync(WaitFor.Idle())));
        Assert.Contains("'target'", fromTest.Message, StringComparison.Ordinal);
        Assert.Contains("thread", fromTest.Message, StringComparison.Ordinal);

        // From another tasklet of the same loop.
        var intruder = loop.Spawn(_ =>
        {
            var error = Assert.Throws<InvalidOperationException>(Calling(() => target.WaitAsync(WaitFor.Idle())));
            Assert.Throws<InvalidOperationException>(Calling(() => target.SendAsync(new Message("x") { Dest = target })));
            return Task.FromResult(error.Message);
        }, "intruder");
        var message = (string)(await intruder.Completion.WaitAsync(s_timeout))!;
        Assert.Contains("'target'", message, StringComparison.Ordinal);
        Assert.Contains("'intruder'", message, StringComparison.Ordinal);

        // After ConfigureAwait(false), the body is off the loop: refused too.
        var strayed = loop.Spawn(async self =>
        {
            await Task.Delay(1).ConfigureAwait(false);
            return Assert.Throws<InvalidOperationException>(Calling(() => self.WaitAsync(WaitFor.Idle()))).Message;
        }, "strayed");
        Assert.Contains("ConfigureAwait(false)", (string)(await strayed.Completion.WaitAsync(s_timeout))!, StringComparison.Ordinal);
        gate.SetResult();
    }

    [Fact]
    public async Task Bad_conditions_throw_clear_exceptions()
    {
        await using var loop = new TaskletLoop("bad");
        var other = loop.Spawn(async self => await self.WaitAsync(WaitFor.Messages(accept: ["stop"])), "other");
        var shared = WaitFor.Timeout(TimeSpan.FromHours(1));
        var holder = loop.Spawn(async self => await self.WaitAsync(shared, WaitFor.Messages(accept: ["stop"])), "holder");

        var tasklet = loop.Spawn(async self =>
        {
            await self.WaitAsync(WaitFor.Idle()); // the others are waiting by now
            var errors = new List<string>
            {
                Assert.Throws<ArgumentNullException>(Calling(() => self.WaitAsync(WaitFor.Idle(), null!))).Message,
                Assert.Throws<ArgumentException>(Calling(() => self.WaitAsync(Array.Empty<WaitCondition>()))).Message,
                Assert.Throws<ArgumentException>(Calling(() => self.WaitAsync(WaitFor.Messages(accept: ["a"]), WaitFor.Messages(accept: ["b"])))).Message,
                Assert.Throws<InvalidOperationException>(Calling(() => self.WaitAsync(shared))).Message,
                (await Assert.ThrowsAsync<ArgumentException>(() => self.WaitAsync(WaitFor.Tasklet(self)).AsTask())).Message,
            };

            var pending = self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(1)));
            errors.Add(Assert.Throws<InvalidOperationException>(Calling(() => self.WaitAsync(WaitFor.Idle()))).Message);
            await pending;
            return errors;
        }, "bad");

        var errors = (List<string>)(await tasklet.Completion.WaitAsync(s_timeout))!;
        Assert.All(errors, e => Assert.Contains("'bad'", e, StringComparison.Ordinal));
        Assert.Contains("#1", errors[0], StringComparison.Ordinal);
        Assert.Contains("'holder'", errors[3], StringComparison.Ordinal);
        Assert.Contains("still pending", errors[5], StringComparison.Ordinal);
        other.Post(new Message("stop"));
        holder.Post(new Message("stop"));
        await Task.WhenAll(other.Completion, holder.Completion).WaitAsync(s_timeout);
    }
}
