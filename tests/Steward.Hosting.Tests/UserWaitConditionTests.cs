using System.Collections.Concurrent;
using Steward.Tasklets;

namespace Steward.Hosting.Tests;

/// <summary>
/// DESIGN.md "Tasklets": <see cref="WaitCondition"/>'s Arm/Disarm/Fire contract is public, so users can write their own
/// conditions. This assembly does not see Steward.Core's internals (only Steward.Core.Tests and Steward.Hosting do), so
/// the condition below is written against exactly what a user gets.
/// </summary>
public class UserWaitConditionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_user_condition_fired_from_another_thread_wakes_its_tasklet_and_runs_Arm_and_Disarm_on_the_loop()
    {
        await using var loop = new TaskletLoop("user-condition");
        var gate = new GateCondition();
        var tasklet = loop.Spawn(async self =>
        {
            var bodyThread = Environment.CurrentManagedThreadId;
            var fired = await self.WaitAsync(gate);
            var evt = gate.Event;
            var armedAfterFire = gate.IsArmed; // stays armed until a wait leaves it out
            await self.WaitAsync(WaitFor.Task(Task.CompletedTask)); // leaves the gate out: disarms it
            return (bodyThread, fired, evt, armedAfterFire);
        });

        await gate.Armed.Task.WaitAsync(s_timeout);
        await Task.Run(() => gate.Open("reading 42")); // an external trigger, off the loop thread
        var (bodyThread, fired, evt, armedAfterFire) =
            ((int, object, object?, bool))(await tasklet.Completion.WaitAsync(s_timeout))!;

        Assert.Same(gate, fired);
        Assert.Equal("reading 42", evt);
        Assert.True(armedAfterFire);
        Assert.Equal(loop.ManagedThreadId, bodyThread);
        Assert.Equal([bodyThread], gate.ArmThreads);
        Assert.Equal([bodyThread], gate.DisarmThreads);
        Assert.Equal(["arm", "open", "disarm"], gate.Log);
        Assert.False(gate.IsArmed);
    }

    [Fact]
    public async Task When_another_condition_wins_the_user_condition_never_fires_and_is_disarmed_on_the_loop()
    {
        await using var loop = new TaskletLoop("user-condition-loses");
        var loser = new GateCondition();
        var winner = new GateCondition();
        var tasklet = loop.Spawn(async self =>
        {
            var fired = await self.WaitAsync(loser, winner);
            return (Environment.CurrentManagedThreadId, fired); // finishing disarms both
        });

        await Task.WhenAll(loser.Armed.Task, winner.Armed.Task).WaitAsync(s_timeout);
        await Task.Run(() => winner.Open("winner"));
        var (bodyThread, fired) = ((int, object))(await tasklet.Completion.WaitAsync(s_timeout))!;

        Assert.Same(winner, fired);
        Assert.Equal(loop.ManagedThreadId, bodyThread);
        Assert.Equal([bodyThread], loser.ArmThreads);
        Assert.Equal([bodyThread], loser.DisarmThreads);
        Assert.Equal(["arm", "disarm"], loser.Log);
        Assert.Null(loser.Event);
        Assert.Equal([bodyThread], winner.DisarmThreads);

        loser.Open("late"); // not armed: ignored
        Assert.Null(loser.Event);
    }

    [Fact]
    public async Task A_user_condition_that_already_holds_fires_asynchronously_through_FireLater()
    {
        await using var loop = new TaskletLoop("user-condition-open");
        var gate = new GateCondition();
        gate.Open("already");
        var tasklet = loop.Spawn(async self =>
        {
            var wait = self.WaitAsync(gate);
            var completedInline = wait.IsCompleted;
            var fired = await wait;
            return (completedInline, fired, gate.Event);
        });

        var (completedInline, fired, evt) = ((bool, object, object?))(await tasklet.Completion.WaitAsync(s_timeout))!;

        Assert.False(completedInline);
        Assert.Same(gate, fired);
        Assert.Equal("already", evt);
        Assert.Equal(["open", "arm", "disarm"], gate.Log);
    }

    /// <summary>
    /// A user's condition: fires once its gate is opened, from any thread, with the value it was opened with; a gate that
    /// is already open when armed fires asynchronously, like the built-in conditions that already hold. It overrides
    /// Arm and Disarm as <c>protected</c>, as any assembly without Steward.Core's internals must.
    /// </summary>
    private sealed class GateCondition : WaitCondition
    {
        private readonly ConcurrentQueue<string> _log = new();
        private object? _openedWith;
        private volatile bool _open;

        public TaskCompletionSource Armed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Where Arm ran, each time (written on the loop thread; read once the tasklet has finished).</summary>
        public List<int> ArmThreads { get; } = [];

        /// <summary>Where Disarm ran, each time.</summary>
        public List<int> DisarmThreads { get; } = [];

        public string[] Log => [.. _log];

        public void Open(object value)
        {
            _openedWith = value;
            _open = true;
            _log.Enqueue("open");
            Fire(value); // thread-safe; ignored while not armed
        }

        protected override void Arm(Tasklet tasklet)
        {
            ArmThreads.Add(Environment.CurrentManagedThreadId);
            _log.Enqueue("arm");
            if (_open)
            {
                FireLater(Generation, _openedWith);
            }

            Armed.TrySetResult();
        }

        protected override void Disarm()
        {
            DisarmThreads.Add(Environment.CurrentManagedThreadId);
            _log.Enqueue("disarm");
        }
    }
}
