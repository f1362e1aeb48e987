using System.Diagnostics;
using System.Diagnostics.Metrics;
using Steward.Support;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Diagnostics;

/// <summary>
/// Steward.Core's instruments on <see cref="StewardTelemetry.Meter"/> and its activities on
/// <see cref="StewardTelemetry.ActivitySource"/>, each behind a recorder that returns at once when nobody listens.
/// </summary>
/// <remarks>Created on first use (a class of its own, so the meter exists before any instrument on it).</remarks>
internal static class StewardMetrics
{
    private static readonly string[] s_statusNames = ["idle", "running", "paused", "stopping", "stopped"];

    private static readonly Counter<long> s_runStateTransitions = StewardTelemetry.Meter.CreateCounter<long>(
        I.RunStateTransitions, "{transition}", "RunState transitions, by RunState and the statuses left and entered.");

    private static readonly Histogram<double> s_callDuration = StewardTelemetry.CreateDuration(
        I.DeferredCallDuration, "How long deferred calls ran, from their start in the processing context to their end.",
        StewardTelemetry.ShortDurationBuckets);

    private static readonly Counter<long> s_callFailures = StewardTelemetry.Meter.CreateCounter<long>(
        I.DeferredCallFailures, "{call}", "Deferred calls that threw.");

    private static readonly Counter<long> s_callTimeouts = StewardTelemetry.Meter.CreateCounter<long>(
        I.DeferredCallTimeouts, "{call}", "Sync deferred calls whose caller's timeout expired before they ended.");

    private static readonly UpDownCounter<long> s_nurseryChildren = StewardTelemetry.Meter.CreateUpDownCounter<long>(
        I.NurseryChildrenActive, "{task}", "Children running in a task nursery.");

    private static readonly Counter<long> s_nurseryFailures = StewardTelemetry.Meter.CreateCounter<long>(
        I.NurseryChildFailures, "{task}", "Children of a task nursery that failed.");

    private static readonly UpDownCounter<long> s_opens = StewardTelemetry.Meter.CreateUpDownCounter<long>(
        I.MultiOpenOpensActive, "{open}", "Live opens of a MultiOpen resource.");

    private static readonly Histogram<double> s_startup = StewardTelemetry.CreateDuration(
        I.MultiOpenStartupDuration, "How long a MultiOpen resource's startup took.", StewardTelemetry.ShortDurationBuckets);

    private static readonly Histogram<double> s_shutdown = StewardTelemetry.CreateDuration(
        I.MultiOpenShutdownDuration, "How long a MultiOpen resource's shutdown took.", StewardTelemetry.ShortDurationBuckets);

    private static readonly Counter<long> s_poolCreated = StewardTelemetry.Meter.CreateCounter<long>(
        I.PoolItemsCreated, "{item}", "Items a pool's factory created.");

    private static readonly Counter<long> s_machineTransitions = StewardTelemetry.Meter.CreateCounter<long>(
        I.StateMachineTransitions, "{transition}", "State-machine transitions, by machine and the states left and entered.");

    private static readonly Counter<long> s_messages = StewardTelemetry.Meter.CreateCounter<long>(
        I.TaskletMessages, "{message}", "Messages tasklets received, by what they did with them.");

    private static readonly WeakSet<IObservedQueue> s_queues = new();
    private static readonly WeakSet<IObservedPool> s_pools = new();

    private static readonly ObservableGauge<int> s_queueSize = StewardTelemetry.Meter.CreateObservableGauge(
        I.DeferredQueueSize, static () => ObserveQueues(), "{call}", "Calls pending in a deferred-call queue.");

    private static readonly ObservableGauge<int> s_poolAvailable = StewardTelemetry.Meter.CreateObservableGauge(
        I.PoolItemsAvailable, static () => ObservePools(), "{item}", "Items waiting in a pool to be rented.");

    /// <summary>Whether anybody listens to the deferred-call activity (checked when a sync call is queued).</summary>
    public static bool TracingCalls => StewardTelemetry.ActivitySource.HasListeners();

    /// <summary>Whether the deferred-call duration is recorded (checked when a call starts).</summary>
    public static bool TimingCalls => s_callDuration.Enabled;

    /// <summary>Whether MultiOpen opens are counted (checked on every open and close).</summary>
    public static bool CountingOpens => s_opens.Enabled;

    /// <summary>The lower-case name of a status, as the attributes carry it.</summary>
    public static string StatusName(RunStateStatus status) => s_statusNames[(int)status];

    public static void RunStateTransition(string runState, RunStateStatus from, RunStateStatus to)
    {
        if (s_runStateTransitions.Enabled)
        {
            s_runStateTransitions.Add(1, new(A.RunStateName, runState), new(A.RunStateFrom, StatusName(from)), new(A.RunStateTo, StatusName(to)));
        }
    }

    /// <summary>Tracks a deferred-call queue for the queue-size gauge, for as long as it is alive.</summary>
    public static void Track(IObservedQueue queue) => s_queues.Add(queue);

    /// <summary>Tracks a pool for the items-available gauge, for as long as it is alive.</summary>
    public static void Track(IObservedPool pool) => s_pools.Add(pool);

    public static void CallEnded(string handler, bool sync, long startTimestamp) =>
        s_callDuration.Record(StewardTelemetry.SecondsSince(startTimestamp), new(A.HandlerName, handler), new(A.CallKind, sync ? "sync" : "oneway"));

    public static void CallFailed(string handler, bool sync)
    {
        if (s_callFailures.Enabled)
        {
            s_callFailures.Add(1, new(A.HandlerName, handler), new(A.CallKind, sync ? "sync" : "oneway"));
        }
    }

    public static void CallTimedOut(string handler)
    {
        if (s_callTimeouts.Enabled)
        {
            s_callTimeouts.Add(1, new(A.HandlerName, handler), new(A.CallKind, "sync"));
        }
    }

    /// <summary>Starts the activity of a sync call as it runs, under the caller's context captured when it was queued.</summary>
    public static Activity? StartCall(string handler, string call, ActivityContext parent)
    {
        var activity = StewardTelemetry.ActivitySource.StartActivity(I.DeferredCall, ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(A.HandlerName, handler);
            activity.SetTag(A.CallName, call);
        }

        return activity;
    }

    /// <summary>Ends a call's activity: Error with the exception if it failed.</summary>
    public static void EndCall(Activity activity, Exception? failure)
    {
        if (failure is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, failure.Message);
            activity.AddException(failure);
        }

        activity.Stop();
    }

    public static void NurseryChildren(string nursery, int delta)
    {
        if (s_nurseryChildren.Enabled)
        {
            s_nurseryChildren.Add(delta, new KeyValuePair<string, object?>(A.NurseryName, nursery));
        }
    }

    public static void NurseryChildFailed(string nursery)
    {
        if (s_nurseryFailures.Enabled)
        {
            s_nurseryFailures.Add(1, new KeyValuePair<string, object?>(A.NurseryName, nursery));
        }
    }

    /// <summary>Counts <paramref name="delta"/> opens of a resource; call only when <see cref="CountingOpens"/>.</summary>
    public static void Opens(string resource, int delta) =>
        s_opens.Add(delta, new KeyValuePair<string, object?>(A.ResourceName, resource));

    public static long StartTiming() => s_startup.Enabled || s_shutdown.Enabled ? Stopwatch.GetTimestamp() : 0;

    public static void StartupEnded(string resource, long startTimestamp)
    {
        if (startTimestamp != 0 && s_startup.Enabled)
        {
            s_startup.Record(StewardTelemetry.SecondsSince(startTimestamp), new KeyValuePair<string, object?>(A.ResourceName, resource));
        }
    }

    public static void ShutdownEnded(string resource, long startTimestamp)
    {
        if (startTimestamp != 0 && s_shutdown.Enabled)
        {
            s_shutdown.Record(StewardTelemetry.SecondsSince(startTimestamp), new KeyValuePair<string, object?>(A.ResourceName, resource));
        }
    }

    public static void PoolItemCreated(string pool)
    {
        if (s_poolCreated.Enabled)
        {
            s_poolCreated.Add(1, new KeyValuePair<string, object?>(A.PoolName, pool));
        }
    }

    public static void StateMachineTransition(string machine, string? from, string to)
    {
        if (s_machineTransitions.Enabled)
        {
            s_machineTransitions.Add(1, new(A.StateMachineName, machine), new(A.StateMachineFrom, from ?? "(start)"), new(A.StateMachineTo, to));
        }
    }

    public static void TaskletMessage(string action)
    {
        if (s_messages.Enabled)
        {
            s_messages.Add(1, new KeyValuePair<string, object?>(A.MessageAction, action));
        }
    }

    private static List<Measurement<int>> ObserveQueues()
    {
        var measurements = new List<Measurement<int>>();
        s_queues.ForEach(queue => measurements.Add(
            new Measurement<int>(queue.PendingCount, new KeyValuePair<string, object?>(A.HandlerName, queue.Name))));
        return measurements;
    }

    private static List<Measurement<int>> ObservePools()
    {
        var measurements = new List<Measurement<int>>();
        s_pools.ForEach(pool => measurements.Add(
            new Measurement<int>(pool.Available, new KeyValuePair<string, object?>(A.PoolName, pool.Name))));
        return measurements;
    }
}
