using System.Diagnostics;
using System.Diagnostics.Metrics;
using Steward.Deferred;
using Steward.Diagnostics;
using Steward.Nurseries;
using Steward.StateMachines;
using Steward.Tasklets;
using Steward.Tests.Support;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Tests.Diagnostics;

/// <summary>
/// Every instrument Steward.Core emits, read back through a real <see cref="MeterListener"/> and
/// <see cref="ActivityListener"/> after driving the primitive it measures: name, unit, attributes and value.
/// </summary>
[Collection(SerialTestGroup.Name)] // a listener enables Steward's instruments for the whole process
public sealed class CoreTelemetryTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly TelemetryRecorder _recorder = new();

    public void Dispose() => _recorder.Dispose();

    [Fact]
    public void The_source_and_the_meter_are_named_Steward_and_versioned_with_the_assembly()
    {
        var version = typeof(RunState).Assembly.GetName().Version!.ToString();

        Assert.Equal("Steward", StewardTelemetry.ActivitySource.Name);
        Assert.Equal("Steward", StewardTelemetry.Meter.Name);
        Assert.Equal(version, StewardTelemetry.ActivitySource.Version);
        Assert.Equal(version, StewardTelemetry.Meter.Version);
    }

    [Fact]
    public void RunState_transitions_are_counted_with_the_runstate_and_both_statuses()
    {
        var runState = new RunState("telemetry-rs");
        runState.Start();
        runState.Pause();
        runState.Resume();
        runState.Cancel();
        runState.Stop();

        AssertUnit(I.RunStateTransitions, "{transition}");
        Assert.Equal(1, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs"), (A.RunStateFrom, "idle"), (A.RunStateTo, "running")));
        Assert.Equal(1, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs"), (A.RunStateFrom, "running"), (A.RunStateTo, "paused")));
        Assert.Equal(1, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs"), (A.RunStateFrom, "paused"), (A.RunStateTo, "running")));
        Assert.Equal(1, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs"), (A.RunStateFrom, "running"), (A.RunStateTo, "stopping")));
        Assert.Equal(1, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs"), (A.RunStateFrom, "stopping"), (A.RunStateTo, "stopped")));
        Assert.Equal(5, _recorder.Sum(I.RunStateTransitions, (A.RunStateName, "telemetry-rs")));
    }

    [Fact]
    public async Task Deferred_calls_report_queue_size_duration_failures_and_timeouts_by_handler_and_kind()
    {
        await using var calls = new DeferredCalls<List<int>>([], new DeferredCallOptions { Name = "telemetry-dc" });
        calls.Oneway(l => l.Add(1));
        calls.Oneway(l => l.Add(2));
        calls.Oneway(_ => throw new FormatException("bad"), "Broken");
        _recorder.Observe();
        Assert.Equal(3, _recorder.Of(I.DeferredQueueSize, (A.HandlerName, "telemetry-dc"))[^1].Value);

        var sync = calls.SyncAsync(l => l.Count);
        var failing = calls.SyncAsync<int>(_ => throw new InvalidCastException("bad"), name: "BrokenSync");
        var timingOut = calls.SyncAsync(l => l.Count, timeout: TimeSpan.FromMilliseconds(1));
        await Task.Delay(50); // the timeout fires while nobody processes (a real timer, not a synchronisation)
        calls.ProcessPending();
        Assert.Equal(2, await sync.WaitAsync(s_timeout));
        await Assert.ThrowsAsync<InvalidCastException>(() => failing.WaitAsync(s_timeout));
        await Assert.ThrowsAsync<TimeoutException>(() => timingOut.WaitAsync(s_timeout));
        _recorder.Observe();

        AssertUnit(I.DeferredQueueSize, "{call}");
        AssertUnit(I.DeferredCallDuration, "s");
        AssertUnit(I.DeferredCallFailures, "{call}");
        AssertUnit(I.DeferredCallTimeouts, "{call}");
        Assert.Equal(0, _recorder.Of(I.DeferredQueueSize, (A.HandlerName, "telemetry-dc"))[^1].Value);
        Assert.Equal(3, _recorder.Of(I.DeferredCallDuration, (A.HandlerName, "telemetry-dc"), (A.CallKind, "oneway")).Count);
        Assert.Equal(2, _recorder.Of(I.DeferredCallDuration, (A.HandlerName, "telemetry-dc"), (A.CallKind, "sync")).Count);
        Assert.All(_recorder.Of(I.DeferredCallDuration, (A.HandlerName, "telemetry-dc")), m => Assert.InRange(m.Value, 0, 10));
        Assert.Equal(1, _recorder.Sum(I.DeferredCallFailures, (A.HandlerName, "telemetry-dc"), (A.CallKind, "oneway")));
        Assert.Equal(1, _recorder.Sum(I.DeferredCallFailures, (A.HandlerName, "telemetry-dc"), (A.CallKind, "sync")));
        Assert.Equal(1, _recorder.Sum(I.DeferredCallTimeouts, (A.HandlerName, "telemetry-dc"), (A.CallKind, "sync")));
    }

    [Fact]
    public async Task A_SyncAsync_calls_span_is_a_child_of_the_callers_span_across_the_queue()
    {
        await using var calls = new DeferredCalls<List<int>>([], new DeferredCallOptions { Name = "telemetry-span" });
        using var caller = new ActivitySource("Steward.Tests.Caller");
        using var callerListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == caller.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(callerListener);
        var processing = calls.ProcessAsync(); // on the thread pool, in a flow of its own
        Activity? seenInside = null;

        Task<int> pending;
        string callerTrace, callerSpan;
        using (var parent = caller.StartActivity("caller")!)
        {
            callerTrace = parent.TraceId.ToString();
            callerSpan = parent.SpanId.ToString();
            pending = calls.SyncAsync(l =>
            {
                seenInside = Activity.Current;
                return l.Count;
            });
        }

        await pending.WaitAsync(s_timeout);
        calls.StopProcessing();
        await processing.WaitAsync(s_timeout);

        var span = Assert.Single(_recorder.Activities, a => a.OperationName == I.DeferredCall && Equals(a.GetTagItem(A.HandlerName), "telemetry-span"));
        Assert.Equal(callerTrace, span.TraceId.ToString());
        Assert.Equal(callerSpan, span.ParentSpanId.ToString());
        Assert.Equal("Count", span.GetTagItem(A.CallName));
        Assert.Same(span, seenInside); // the call ran inside its span
    }

    [Fact]
    public async Task A_failing_SyncAsync_calls_span_is_Error_with_the_exception()
    {
        await using var calls = new DeferredCalls<object>(new object(), new DeferredCallOptions { Name = "telemetry-error" });
        var failing = calls.SyncAsync<int>(_ => throw new FormatException("broken call"), name: "Broken");
        calls.ProcessPending();
        await Assert.ThrowsAsync<FormatException>(() => failing.WaitAsync(s_timeout));

        var span = Assert.Single(_recorder.Activities, a => a.OperationName == I.DeferredCall && Equals(a.GetTagItem(A.HandlerName), "telemetry-error"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("broken call", span.StatusDescription);
        Assert.Contains(span.Events, e => e.Name == "exception");
    }

    [Fact]
    public async Task Nursery_children_are_counted_while_they_run_and_failures_counted()
    {
        var nursery = new TaskNursery("telemetry-nursery", NurseryFailurePolicy.Isolate);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = nursery.Start(_ => release.Task);
        var failed = nursery.Start(_ => throw new FormatException("child"));
        await Assert.ThrowsAsync<FormatException>(() => failed.WaitAsync(s_timeout));

        Assert.Equal(1, _recorder.Sum(I.NurseryChildrenActive, (A.NurseryName, "telemetry-nursery")));
        release.SetResult();
        await running.WaitAsync(s_timeout);
        await nursery.CloseAsync();

        AssertUnit(I.NurseryChildrenActive, "{task}");
        AssertUnit(I.NurseryChildFailures, "{task}");
        Assert.Equal(0, _recorder.Sum(I.NurseryChildrenActive, (A.NurseryName, "telemetry-nursery")));
        Assert.Equal(1, _recorder.Sum(I.NurseryChildFailures, (A.NurseryName, "telemetry-nursery")));
    }

    [Fact]
    public async Task MultiOpen_opens_startup_and_shutdown_are_measured_by_resource()
    {
        var resource = MultiOpen.Create("telemetry-db", async (stack, cancellationToken) =>
        {
            await Task.Delay(20, cancellationToken);
            stack.Defer(async () => await Task.Delay(20));
        });
        var first = await resource.OpenAsync();
        var second = resource.Open();
        resource.Open();
        Assert.Equal(3, _recorder.Sum(I.MultiOpenOpensActive, (A.ResourceName, "telemetry-db")));
        resource.Close(); // lease-less
        second.Dispose();
        await first.DisposeAsync(); // the final close

        AssertUnit(I.MultiOpenOpensActive, "{open}");
        AssertUnit(I.MultiOpenStartupDuration, "s");
        AssertUnit(I.MultiOpenShutdownDuration, "s");
        Assert.Equal(0, _recorder.Sum(I.MultiOpenOpensActive, (A.ResourceName, "telemetry-db")));
        Assert.InRange(Assert.Single(_recorder.Of(I.MultiOpenStartupDuration, (A.ResourceName, "telemetry-db"))).Value, 0.015, 10);
        Assert.InRange(Assert.Single(_recorder.Of(I.MultiOpenShutdownDuration, (A.ResourceName, "telemetry-db"))).Value, 0.015, 10);
    }

    [Fact]
    public async Task A_disposed_MultiOpen_takes_back_every_open_it_counted()
    {
        var resource = MultiOpen.Create("telemetry-disposed", (_, _) => ValueTask.CompletedTask);
        resource.Open();
        resource.Open();

        await resource.DisposeAsync();

        Assert.Equal(0, _recorder.Sum(I.MultiOpenOpensActive, (A.ResourceName, "telemetry-disposed")));
    }

    [Fact]
    public void A_pool_reports_items_created_and_available_by_name()
    {
        using var pool = new Pool<object>(() => new object(), maxSize: 4, name: "telemetry-pool");
        var a = pool.Get();
        var b = pool.Get();
        pool.Return(a);
        pool.Return(b);
        _recorder.Observe();

        AssertUnit(I.PoolItemsCreated, "{item}");
        AssertUnit(I.PoolItemsAvailable, "{item}");
        Assert.Equal(2, _recorder.Sum(I.PoolItemsCreated, (A.PoolName, "telemetry-pool")));
        Assert.Equal(2, _recorder.Of(I.PoolItemsAvailable, (A.PoolName, "telemetry-pool"))[^1].Value);
    }

    [Fact]
    public async Task State_machine_transitions_are_counted_with_the_machine_and_both_states()
    {
        var machine = StateMachine.Define<object>("telemetry-flower")
            .State("sprouting", to: ["growing"], (_, s) => Task.FromResult(s.GoTo("growing")))
            .State("growing", (_, s) => Task.FromResult(s.End()))
            .Build();

        await machine.Start(new object(), "sprouting").Completion.WaitAsync(s_timeout);

        AssertUnit(I.StateMachineTransitions, "{transition}");
        Assert.Equal(1, _recorder.Sum(I.StateMachineTransitions, (A.StateMachineName, "telemetry-flower"), (A.StateMachineFrom, "(start)"), (A.StateMachineTo, "sprouting")));
        Assert.Equal(1, _recorder.Sum(I.StateMachineTransitions, (A.StateMachineName, "telemetry-flower"), (A.StateMachineFrom, "sprouting"), (A.StateMachineTo, "growing")));
    }

    [Fact]
    public async Task Tasklet_messages_are_counted_by_what_the_receiver_did_each_once()
    {
        await using var loop = new TaskletLoop("telemetry-loop");
        var before = (Accept: Count("accept"), Defer: Count("defer"), Discard: Count("discard"));
        var got = new List<string>();
        var receiver = loop.Spawn(async t =>
        {
            // "later" is deferred by two waits in turn, then accepted; "noise" is discarded.
            var first = (Message)(await t.WaitAsync(WaitFor.Messages(accept: ["now"], defer: ["later"], discard: ["noise"])))!;
            got.Add(first.Name);
            var second = (Message)(await t.WaitAsync(WaitFor.Messages(accept: ["again"], defer: ["later"])))!;
            got.Add(second.Name);
            var third = (Message)(await t.WaitAsync(WaitFor.Messages(accept: ["later"])))!;
            got.Add(third.Name);
        });
        receiver.Post(new Message("later"));
        receiver.Post(new Message("noise"));
        receiver.Post(new Message("now"));
        receiver.Post(new Message("again"));
        await receiver.Completion.WaitAsync(s_timeout);

        Assert.Equal(["now", "again", "later"], got);
        AssertUnit(I.TaskletMessages, "{message}");
        Assert.Equal(3, Count("accept") - before.Accept);
        Assert.Equal(1, Count("defer") - before.Defer);
        Assert.Equal(1, Count("discard") - before.Discard);

        double Count(string action) => _recorder.Sum(I.TaskletMessages, (A.MessageAction, action));
    }

    private void AssertUnit(string instrument, string unit) => Assert.Equal(unit, _recorder.Instrument(instrument).Unit);
}
