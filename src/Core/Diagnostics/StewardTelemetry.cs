using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Steward.Diagnostics;

/// <summary>
/// Steward's one <see cref="System.Diagnostics.ActivitySource"/> and one <see cref="System.Diagnostics.Metrics.Meter"/>,
/// both named <c>"Steward"</c> and versioned with the assembly, and the names of every instrument and attribute they
/// emit. Listen to them with OpenTelemetry (<c>AddStewardInstrumentation()</c> in Steward.Hosting, or
/// <c>AddSource("Steward")</c> / <c>AddMeter("Steward")</c>), or with an <see cref="ActivityListener"/> /
/// <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// With nobody listening nothing is recorded and nothing is allocated: every recording site first asks whether its
/// instrument is enabled (one field read). Attribute values are bounded: names of RunStates, workers, handlers,
/// resources and nurseries, instance indexes and fixed words, never per-call ids. Units are UCUM (<c>s</c> for
/// durations, <c>{call}</c> and the like for counts).
/// </remarks>
public static partial class StewardTelemetry
{
    /// <summary>The name of Steward's <see cref="ActivitySource"/> and <see cref="Meter"/>: <c>"Steward"</c>.</summary>
    public const string Name = "Steward";

    private static readonly string? s_version = typeof(StewardTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Steward's activity source (<see cref="Name"/>, the assembly's version). Steward's own integrations
    /// start their activities on it; listen to it rather than starting activities on it yourself.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, s_version);

    /// <summary>Steward's meter (<see cref="Name"/>, the assembly's version). Steward's own integrations create their
    /// instruments on it; listen to it rather than creating instruments on it yourself.</summary>
    public static Meter Meter { get; } = new(Name, s_version);

    /// <summary>Bucket boundaries, in seconds, for short operations (a deferred call, a resource startup): 10 µs to 10 s.</summary>
    internal static readonly IReadOnlyList<double> ShortDurationBuckets =
        [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

    /// <summary>Bucket boundaries, in seconds, for long operations (a worker run): 10 ms to a day.</summary>
    internal static readonly IReadOnlyList<double> LongDurationBuckets =
        [0.01, 0.1, 1, 10, 60, 300, 900, 3600, 21600, 86400];

    /// <summary>Creates a histogram of durations in seconds with the given bucket boundaries.</summary>
    internal static Histogram<double> CreateDuration(string name, string description, IReadOnlyList<double> buckets) =>
        Meter.CreateHistogram(name, "s", description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    /// <summary>Seconds elapsed since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>).</summary>
    internal static double SecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;

    /// <summary>The instrument names (fixed: dashboards and alerts depend on them).</summary>
    public static class Instruments
    {
        /// <summary>Counter <c>{transition}</c>: RunState transitions (runstate name, from, to).</summary>
        public const string RunStateTransitions = "steward.runstate.transitions";

        /// <summary>Activity event on a worker run's activity: one RunState transition (from, to).</summary>
        public const string RunStateTransitionEvent = "steward.runstate.transition";

        /// <summary>Activity: one run of a worker instance.</summary>
        public const string WorkerRun = "steward.worker.run";

        /// <summary>Counter <c>{restart}</c>: worker restarts (worker name).</summary>
        public const string WorkerRestarts = "steward.worker.restarts";

        /// <summary>Observable up-down counter <c>{instance}</c>: worker instances by health (worker name, health).</summary>
        public const string WorkerInstances = "steward.worker.instances";

        /// <summary>Histogram <c>s</c>: the duration of a worker run (worker name, outcome).</summary>
        public const string WorkerRunDuration = "steward.worker.run.duration";

        /// <summary>Activity: the host's start, from the first hosted service starting to every worker started.</summary>
        public const string HostStart = "steward.host.start";

        /// <summary>Activity: the host's stop, one event per stage, the exit code as an attribute.</summary>
        public const string HostStop = "steward.host.stop";

        /// <summary>Observable gauge <c>{call}</c>: calls pending in a deferred-call queue (handler name).</summary>
        public const string DeferredQueueSize = "steward.deferred.queue.size";

        /// <summary>Histogram <c>s</c>: how long a deferred call ran (handler name, call kind).</summary>
        public const string DeferredCallDuration = "steward.deferred.call.duration";

        /// <summary>Counter <c>{call}</c>: deferred calls that threw (handler name, call kind).</summary>
        public const string DeferredCallFailures = "steward.deferred.call.failures";

        /// <summary>Counter <c>{call}</c>: sync deferred calls whose caller's timeout expired (handler name, call kind).</summary>
        public const string DeferredCallTimeouts = "steward.deferred.call.timeouts";

        /// <summary>Activity: one <c>SyncAsync</c> call as it runs, a child of the caller's activity across the queue.</summary>
        public const string DeferredCall = "steward.deferred.call";

        /// <summary>Up-down counter <c>{task}</c>: a nursery's running children (nursery name).</summary>
        public const string NurseryChildrenActive = "steward.nursery.children.active";

        /// <summary>Counter <c>{task}</c>: a nursery's failed children (nursery name).</summary>
        public const string NurseryChildFailures = "steward.nursery.child.failures";

        /// <summary>Up-down counter <c>{open}</c>: a MultiOpen's live opens (resource name).</summary>
        public const string MultiOpenOpensActive = "steward.multiopen.opens.active";

        /// <summary>Histogram <c>s</c>: a MultiOpen's startup (resource name).</summary>
        public const string MultiOpenStartupDuration = "steward.multiopen.startup.duration";

        /// <summary>Histogram <c>s</c>: a MultiOpen's shutdown (resource name).</summary>
        public const string MultiOpenShutdownDuration = "steward.multiopen.shutdown.duration";

        /// <summary>Observable gauge <c>{item}</c>: items waiting in a pool (pool name).</summary>
        public const string PoolItemsAvailable = "steward.pool.items.available";

        /// <summary>Counter <c>{item}</c>: items a pool's factory created (pool name).</summary>
        public const string PoolItemsCreated = "steward.pool.items.created";

        /// <summary>Counter <c>{transition}</c>: state-machine transitions (machine name, from, to).</summary>
        public const string StateMachineTransitions = "steward.statemachine.transitions";

        /// <summary>Counter <c>{message}</c>: tasklet messages by what their receiver did with them (action).</summary>
        public const string TaskletMessages = "steward.tasklet.messages";

        /// <summary>Observable up-down counter <c>{lease}</c>: cluster leases held by this process (worker name).</summary>
        public const string ClusterLeasesHeld = "steward.cluster.leases.held";

        /// <summary>Counter <c>{change}</c>: cluster lease changes (worker name, change).</summary>
        public const string ClusterLeaseChanges = "steward.cluster.lease.changes";

        /// <summary>Histogram <c>s</c>: how long a lease had no live holder when this process acquired it, from the previous
        /// holder's last renewal or release (worker name).</summary>
        public const string ClusterFailoverDuration = "steward.cluster.failover.duration";

        /// <summary>Counter <c>{round_trip}</c>: round trips of this process's coordination connection to the database (no
        /// attributes): one per tick whatever the number of leases.</summary>
        public const string ClusterRoundTrips = "steward.cluster.round_trips";
    }

    /// <summary>The attribute names (fixed).</summary>
    public static class Attributes
    {
        /// <summary>A RunState's name.</summary>
        public const string RunStateName = "steward.runstate.name";

        /// <summary>The status a RunState left (<c>idle</c>, <c>running</c>, <c>paused</c>, <c>stopping</c>, <c>stopped</c>).</summary>
        public const string RunStateFrom = "steward.runstate.from";

        /// <summary>The status a RunState entered.</summary>
        public const string RunStateTo = "steward.runstate.to";

        /// <summary>A worker's name.</summary>
        public const string WorkerName = "steward.worker.name";

        /// <summary>A worker instance's index.</summary>
        public const string WorkerInstance = "steward.worker.instance";

        /// <summary>How many times a worker instance had been restarted when a run began.</summary>
        public const string WorkerRestarts = "steward.worker.restarts";

        /// <summary>A worker instance's health (lower case <c>WorkerHealth</c>).</summary>
        public const string WorkerHealth = "steward.worker.health";

        /// <summary>How a worker run ended: <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
        public const string WorkerOutcome = "steward.worker.outcome";

        /// <summary>The process exit code the host's stop decided.</summary>
        public const string ExitCode = "steward.exit_code";

        /// <summary>A deferred-call handler's name.</summary>
        public const string HandlerName = "steward.handler.name";

        /// <summary>A deferred call's kind: <c>sync</c> or <c>oneway</c>.</summary>
        public const string CallKind = "steward.call.kind";

        /// <summary>A deferred call's name (the method it invokes).</summary>
        public const string CallName = "steward.call.name";

        /// <summary>A nursery's name.</summary>
        public const string NurseryName = "steward.nursery.name";

        /// <summary>A MultiOpen resource's name.</summary>
        public const string ResourceName = "steward.resource.name";

        /// <summary>A pool's name.</summary>
        public const string PoolName = "steward.pool.name";

        /// <summary>A state machine's name.</summary>
        public const string StateMachineName = "steward.statemachine.name";

        /// <summary>The state a state machine left (<c>(start)</c> for the first).</summary>
        public const string StateMachineFrom = "steward.statemachine.from";

        /// <summary>The state a state machine entered.</summary>
        public const string StateMachineTo = "steward.statemachine.to";

        /// <summary>What a tasklet did with a message: <c>accept</c>, <c>defer</c> or <c>discard</c>.</summary>
        public const string MessageAction = "steward.message.action";

        /// <summary>A cluster lease change: <c>acquired</c>, <c>released</c> or <c>lost</c>.</summary>
        public const string ClusterChange = "steward.cluster.change";
    }
}
