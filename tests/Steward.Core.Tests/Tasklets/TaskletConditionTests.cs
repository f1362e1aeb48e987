using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Steward.Tasklets;
using Steward.Testing;
using Steward.Tests.Support;

namespace Steward.Tests.Tasklets;

public class TaskletConditionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WaitFor_Tasklet_on_a_finished_tasklet_fires_asynchronously_with_its_return_value()
    {
        await using var loop = new TaskletLoop("join");
        var done = loop.Spawn(_ => Task.FromResult(42), "done");
        await done.Completion.WaitAsync(s_timeout);

        var waiter = loop.Spawn(async self =>
        {
            var condition = WaitFor.Tasklet(done);
            var wait = self.WaitAsync(condition);
            var inline = wait.IsCompleted; // must be false: the fire is queued, never delivered inside WaitAsync
            Assert.Same(condition, await wait);
            return (inline, condition.Event);
        });

        Assert.Equal((false, (object?)42), await waiter.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task WaitFor_Tasklet_fires_when_a_running_tasklet_finishes_even_on_another_loop()
    {
        await using var loop = new TaskletLoop("waiter-loop");
        await using var other = new TaskletLoop("other-loop");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = other.Spawn(async self =>
        {
            await self.WaitAsync(WaitFor.Task(release.Task));
            return "result";
        }, "worker");

        var waiter = loop.Spawn(async self =>
        {
            var condition = WaitFor.Tasklet(worker);
            await self.WaitAsync(condition);
            return (condition.Event, Environment.CurrentManagedThreadId);
        });

        release.SetResult();
        Assert.Equal(("result", loop.ManagedThreadId), ((object?, int))(await waiter.Completion.WaitAsync(s_timeout))!);
    }

    [Fact]
    public async Task WaitFor_Task_fires_when_the_task_completes_with_the_task_as_the_event()
    {
        await using var loop = new TaskletLoop("task");
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(async self =>
        {
            var condition = WaitFor.Task(source.Task);
            var wait = self.WaitAsync(condition);
            armed.SetResult();
            Assert.Same(condition, await wait);
            return ((Task<int>)condition.Event!).Result;
        });

        await armed.Task.WaitAsync(s_timeout);
        await Task.Delay(20);
        Assert.Equal(TaskletState.Suspended, tasklet.State);
        source.SetResult(7);
        Assert.Equal(7, await tasklet.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task WaitFor_Readable_fires_on_a_real_socket_only_once_data_arrived_and_consumes_nothing()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();

        await using var loop = new TaskletLoop("readable");
        var quietChecked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(async self =>
        {
            var readable = WaitFor.Readable(server);
            var quiet = WaitFor.Timeout(TimeSpan.FromMilliseconds(100));
            Assert.Same(quiet, await self.WaitAsync(readable, quiet)); // nothing sent yet
            quietChecked.SetResult();
            Assert.Same(readable, await self.WaitAsync(readable));
            Assert.Same(server, readable.Event);
            var available = server.Available;
            var buffer = new byte[16];
            var read = server.Receive(buffer);
            return $"{available} {System.Text.Encoding.ASCII.GetString(buffer, 0, read)}";
        });

        await quietChecked.Task.WaitAsync(s_timeout);
        await client.SendAsync("hello"u8.ToArray());
        Assert.Equal("5 hello", await tasklet.Completion.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task WaitFor_Event_subscribes_while_armed_fires_with_the_arguments_and_unsubscribes_when_disarmed()
    {
        await using var loop = new TaskletLoop("event");
        var source = new EventSource();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasklet = loop.Spawn(async self =>
        {
            var condition = WaitFor.Event<int>(h => { source.Changed += h; subscribed.TrySetResult(); }, h => source.Changed -= h);
            Assert.Same(condition, await self.WaitAsync(condition));
            var first = (int)condition.Event!;
            await self.WaitAsync(WaitFor.Timeout(TimeSpan.FromMilliseconds(1))); // leaves the event out: disarmed
            return (first, source.HandlerCount);
        });

        await subscribed.Task.WaitAsync(s_timeout);
        Assert.Equal(1, source.HandlerCount);
        source.Raise(42); // from the test thread: marshalled to the loop
        Assert.Equal((42, 0), ((int, int))(await tasklet.Completion.WaitAsync(s_timeout))!);
    }

    [UnixFact]
    public async Task WaitFor_ProcessExit_fires_when_a_real_child_exits_with_its_exit_code()
    {
        using var process = Process.Start(new ProcessStartInfo("sh") { ArgumentList = { "-c", "sleep 0.2; exit 3" } })!;
        await using var loop = new TaskletLoop("process");
        var clock = Stopwatch.StartNew();
        var tasklet = loop.Spawn(async self =>
        {
            var exit = WaitFor.ProcessExit(process);
            Assert.Same(exit, await self.WaitAsync(exit));
            return exit.Event;
        });

        Assert.Equal(3, await tasklet.Completion.WaitAsync(s_timeout));
        Assert.True(process.HasExited);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(100), $"fired after {clock.Elapsed.TotalMilliseconds} ms, before the child could exit");
    }

    [UnixFact]
    public async Task WaitFor_ProcessExit_on_an_exited_process_fires_asynchronously()
    {
        using var process = Process.Start("true")!;
        await process.WaitForExitAsync().WaitAsync(s_timeout);
        await using var loop = new TaskletLoop("exited");
        var tasklet = loop.Spawn(async self =>
        {
            var exit = WaitFor.ProcessExit(process);
            var wait = self.WaitAsync(exit);
            var inline = wait.IsCompleted;
            await wait;
            return (inline, exit.Event);
        });

        Assert.Equal((false, (object?)0), await tasklet.Completion.WaitAsync(s_timeout));
    }

    [UnixFact]
    public async Task WaitFor_Signal_fires_on_a_real_signal_to_a_child_and_unregisters_when_disarmed()
    {
        await using var child = TestChildProcess.Start("tasklet-signal");

        await child.ExpectLineAsync("ready 1");
        child.Signal(PosixSignal.SIGHUP);
        Assert.Equal("signal SIGHUP", await child.ExpectLineAsync("signal"));

        await child.ExpectLineAsync("ready 2"); // waits on the same condition again: still registered
        child.Signal(PosixSignal.SIGHUP);
        Assert.Equal("signal SIGHUP", await child.ExpectLineAsync("signal"));

        await child.ExpectLineAsync("disarmed");
        child.Signal(PosixSignal.SIGHUP);
        Assert.Equal(128 + 1, await child.WaitForExitAsync()); // nobody handles it any more: the default action kills
    }

    [Fact]
    public async Task WaitFor_Idle_fires_only_when_no_other_tasklet_is_ready_to_run()
    {
        await using var loop = new TaskletLoop("idle");
        var log = new List<string>();

        // Spawned from a tasklet, so all three start in the same round: none can miss the others' work.
        var parent = loop.Spawn(_ => Task.FromResult(new[]
        {
            loop.Spawn(async self =>
            {
                await self.WaitAsync(WaitFor.Idle());
                log.Add("idle");
            }),
            loop.Spawn(async self => await YieldManyAsync("ping")),
            loop.Spawn(async self => await YieldManyAsync("pong")),
        }));

        var children = (Tasklet[])(await parent.Completion.WaitAsync(s_timeout))!;
        await Task.WhenAll(children.Select(c => c.Completion)).WaitAsync(s_timeout);
        Assert.Equal(41, log.Count);
        Assert.Equal("idle", log[^1]);

        async Task YieldManyAsync(string name)
        {
            for (var i = 0; i < 20; i++)
            {
                log.Add($"{name} {i}");
                await Task.Yield(); // ready again at once: the loop is never idle meanwhile
            }
        }
    }

    [Fact]
    public async Task A_user_written_condition_fired_from_another_thread_is_delivered_on_the_loop()
    {
        await using var loop = new TaskletLoop("custom");
        var condition = new ManualCondition();
        var tasklet = loop.Spawn(async self =>
        {
            Assert.Same(condition, await self.WaitAsync(condition));
            return (condition.Event, Environment.CurrentManagedThreadId, condition.Armings);
        });

        await condition.Armed.Task.WaitAsync(s_timeout);
        await Task.Run(() => condition.Trigger("from the pool"));
        Assert.Equal(("from the pool", loop.ManagedThreadId, 1), ((object?, int, int))(await tasklet.Completion.WaitAsync(s_timeout))!);
        Assert.False(condition.IsArmed);
        Assert.Equal(1, condition.Disarmings);
    }

    [Fact]
    public async Task A_fire_queued_before_a_disarm_is_never_delivered_to_a_later_arming_of_the_same_condition()
    {
        await using var loop = new TaskletLoop("stale");
        var tasklet = loop.Spawn(async self =>
        {
            var queued = new QueuedFireCondition();

            // Each wait below completes synchronously (an inline fire is pending), so the queued fire of arming 1 is
            // still in the loop's queue when arming 2 begins.
            Assert.IsType<InlineCondition>(await self.WaitAsync(queued, new InlineCondition()));
            Assert.IsType<InlineCondition>(await self.WaitAsync(new InlineCondition())); // disarms `queued`
            Assert.Same(queued, await self.WaitAsync(queued));                          // arming 2
            return (queued.Armings, queued.Event);
        });

        Assert.Equal((2, (object?)2), ((int, object?))(await tasklet.Completion.WaitAsync(s_timeout))!);
    }

    private sealed class EventSource
    {
        public event EventHandler<int>? Changed;

        public int HandlerCount => Changed?.GetInvocationList().Length ?? 0;

        public void Raise(int value) => Changed?.Invoke(this, value);
    }

    /// <summary>Fires asynchronously at each arming, with the arming's number, as the built-in conditions that
    /// already hold do (a finished tasklet, an exited process, a completed task).</summary>
    private sealed class QueuedFireCondition : WaitCondition
    {
        public int Armings { get; private set; }

        protected internal override void Arm(Tasklet tasklet) => FireLater(Generation, ++Armings);

        protected internal override void Disarm()
        {
        }
    }

    /// <summary>Fires inline, inside Arm: the fire is pending before the wait even starts.</summary>
    private sealed class InlineCondition : WaitCondition
    {
        protected internal override void Arm(Tasklet tasklet) => Fire("inline");

        protected internal override void Disarm()
        {
        }
    }

    /// <summary>The public contract: Arm/Disarm on the loop, Fire from anywhere. (Other assemblies override them as
    /// <c>protected</c>; this one sees Steward.Core's internals, so it must keep <c>protected internal</c>.)</summary>
    private sealed class ManualCondition : WaitCondition
    {
        public TaskCompletionSource Armed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Armings { get; private set; }

        public int Disarmings { get; private set; }

        public void Trigger(object evt) => Fire(evt);

        protected internal override void Arm(Tasklet tasklet)
        {
            Armings++;
            Armed.TrySetResult();
        }

        protected internal override void Disarm() => Disarmings++;
    }
}
