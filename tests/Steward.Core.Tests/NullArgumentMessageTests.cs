using Steward.Coordination;
using Steward.Deferred;
using Steward.Nurseries;
using Steward.StateMachines;
using Steward.Tasklets;
using Steward.Tests.Deferred;
using Item = Steward.Tests.Resources.PoolTests.Item;

namespace Steward.Tests;

/// <summary>
/// Bad input: a null delegate, predicate or source is refused with an <see cref="ArgumentNullException"/> whose
/// message names the object that refused it (and whose <see cref="ArgumentException.ParamName"/> is the parameter).
/// </summary>
public class NullArgumentMessageTests
{
    [Fact]
    public async Task RunState_names_itself()
    {
        var runState = new RunState("poller");
        AssertNames(await Assert.ThrowsAsync<ArgumentNullException>(() => runState.RunAsync(null!)), "RunState 'poller': body", "body");
        AssertNames(Assert.Throws<ArgumentNullException>(() => runState.Iterate<int>(null!)), "RunState 'poller': source", "source");
        AssertNames(
            Assert.Throws<ArgumentNullException>(() => runState.IterateAsync<int>(null!)), "RunState 'poller': source", "source");
        Assert.Equal(RunStateStatus.Idle, runState.Status);
    }

    [Fact]
    public void Resources_name_themselves()
    {
        AssertNames(
            Assert.Throws<ArgumentNullException>(() => MultiOpen.Create("db", null!)), "MultiOpen.Create(\"db\"): startup", "startup");
        AssertNames(Assert.Throws<ArgumentNullException>(() => new Pool<Item>(null!)), "Pool<Item>: factory", "factory");
        var pool = new Pool<Item>(() => new Item());
        AssertNames(Assert.Throws<ArgumentNullException>(() => pool.Return(null!)), "Pool<Item>: item", "item");
    }

    [Fact]
    public async Task Coordination_types_name_themselves()
    {
        var stack = new AsyncExitStack();
        AssertNames(Assert.Throws<ArgumentNullException>(() => stack.Defer((Func<ValueTask>)null!)), "AsyncExitStack: callback", "callback");
        AssertNames(Assert.Throws<ArgumentNullException>(() => stack.Defer((Action)null!)), "AsyncExitStack: callback", "callback");
        AssertNames(Assert.Throws<ArgumentNullException>(() => new AwaitablePredicate(null!)), "AwaitablePredicate: predicate", "predicate");
        AssertNames(
            Assert.Throws<ArgumentNullException>(() => new Accessor<int>(null!, _ => { }, name: "level")),
            "Accessor<Int32> 'level': getter",
            "getter");

        var condition = new AsyncCondition();
        using (await condition.LockAsync())
        {
            AssertNames(
                await Assert.ThrowsAsync<ArgumentNullException>(() => condition.WaitForAsync(null!)), "AsyncCondition: predicate", "predicate");
        }
    }

    [Fact]
    public async Task TaskNursery_names_itself()
    {
        await using var nursery = new TaskNursery("crawlers");
        AssertNames(Assert.Throws<ArgumentNullException>(() => { _ = nursery.Start(null!); }), "TaskNursery 'crawlers': work", "work");
        AssertNames(Assert.Throws<ArgumentNullException>(() => { _ = nursery.Start<int>(null!); }), "TaskNursery 'crawlers': work", "work");
        AssertNames(Assert.Throws<ArgumentNullException>(() => nursery.Defer(null!)), "TaskNursery 'crawlers': callback", "callback");
        AssertNames(
            await Assert.ThrowsAsync<ArgumentNullException>(async () => await nursery.EnterAsync<IAsyncDisposable>(null!)),
            "TaskNursery 'crawlers': resource",
            "resource");

        var unnamed = new TaskNursery();
        var error = Assert.Throws<ArgumentNullException>(() => { _ = unnamed.Start(null!); });
        AssertNames(error, $"TaskNursery '{unnamed.Name}': work", "work");
        Assert.StartsWith("TaskNursery-", unnamed.Name, StringComparison.Ordinal);
        unnamed.Cancel();
    }

    [Fact]
    public async Task DeferredCalls_state_machines_and_tasklet_loops_name_themselves()
    {
        await using var calls = new DeferredCalls<Recorder>(new Recorder(), new DeferredCallOptions { Name = "ingest" });
        AssertNames(Assert.Throws<ArgumentNullException>(() => calls.Oneway((Action<Recorder>)null!)), "DeferredCalls 'ingest': call", "call");
        AssertNames(
            Assert.Throws<ArgumentNullException>(() => { _ = calls.SyncAsync((Func<Recorder, int>)null!); }),
            "DeferredCalls 'ingest': call",
            "call");

        var builder = StateMachine.Define<object>("flower");
        AssertNames(
            Assert.Throws<ArgumentNullException>(() => builder.State("sprouting", null!)),
            "State machine 'flower', state 'sprouting': body",
            "body");

        await using var loop = new TaskletLoop("ui");
        AssertNames(Assert.Throws<ArgumentNullException>(() => loop.Spawn(null!)), "TaskletLoop 'ui': body", "body");
    }

    private static void AssertNames(ArgumentNullException error, string ownerAndParameter, string parameter)
    {
        Assert.Equal(parameter, error.ParamName);
        Assert.StartsWith($"{ownerAndParameter} must not be null.", error.Message, StringComparison.Ordinal);
    }
}
