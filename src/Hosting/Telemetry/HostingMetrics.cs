using System.Diagnostics;
using System.Diagnostics.Metrics;
using Steward.Diagnostics;
using Steward.Support;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Hosting;

/// <summary>
/// Steward.Hosting's instruments on <see cref="StewardTelemetry.Meter"/> and its activities on
/// <see cref="StewardTelemetry.ActivitySource"/>: worker runs, restarts, instances by health, the host's start and stop.
/// Each recorder returns at once when nobody listens.
/// </summary>
internal static class HostingMetrics
{
    private static readonly WorkerHealth[] s_healths = Enum.GetValues<WorkerHealth>();
    private static readonly string[] s_healthNames = [.. s_healths.Select(h => h.ToString().ToLowerInvariant())];

    private static readonly Counter<long> s_restarts = StewardTelemetry.Meter.CreateCounter<long>(
        I.WorkerRestarts, "{restart}", "Worker restarts, by worker.");

    private static readonly Histogram<double> s_runDuration = StewardTelemetry.Meter.CreateHistogram(
        I.WorkerRunDuration, "s", "How long worker runs lasted, by worker and outcome (completed, failed, cancelled).",
        tags: null, advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.01, 0.1, 1, 10, 60, 300, 900, 3600, 21600, 86400],
        });

    private static readonly WeakSet<RunStateController> s_controllers = new();

    private static readonly ObservableUpDownCounter<int> s_instances = StewardTelemetry.Meter.CreateObservableUpDownCounter(
        I.WorkerInstances, static () => ObserveInstances(), "{instance}", "Worker instances, by worker and health.");

    /// <summary>Tracks a controller's instances for the instances gauge, for as long as it is alive.</summary>
    public static void Track(RunStateController controller) => s_controllers.Add(controller);

    /// <summary>The lower-case name of a health, as the attributes carry it.</summary>
    public static string HealthName(WorkerHealth health) => s_healthNames[(int)health];

    public static void Restarted(string worker)
    {
        if (s_restarts.Enabled)
        {
            s_restarts.Add(1, new KeyValuePair<string, object?>(A.WorkerName, worker));
        }
    }

    /// <summary>A timestamp for <see cref="RunEnded"/>, or 0 when nobody records run durations.</summary>
    public static long RunStarting() => s_runDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public static void RunEnded(string worker, long startTimestamp, string outcome)
    {
        if (startTimestamp != 0 && s_runDuration.Enabled)
        {
            s_runDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new(A.WorkerName, worker), new(A.WorkerOutcome, outcome));
        }
    }

    /// <summary>
    /// Starts the activity of one run of a worker instance: the root of a trace of its own (a run may last months, and
    /// belongs to no request), current for the run's flow so the worker's own activities and logs are its children.
    /// Null when nobody listens.
    /// </summary>
    public static Activity? StartRun(string worker, int instance, int restarts)
    {
        if (!StewardTelemetry.ActivitySource.HasListeners())
        {
            return null;
        }

        Activity.Current = null; // a root: not a child of whatever started the supervisor (the host's start)
        var activity = StewardTelemetry.ActivitySource.StartActivity(I.WorkerRun, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(A.WorkerName, worker);
            activity.SetTag(A.WorkerInstance, instance);
            activity.SetTag(A.WorkerRestarts, restarts);
        }

        return activity;
    }

    /// <summary>Adds a RunState transition to a run's activity as a <c>steward.runstate.transition</c> event.</summary>
    public static void Transition(Activity activity, RunStateTransition transition)
    {
        if (!activity.IsAllDataRequested)
        {
            return;
        }

        activity.AddEvent(new ActivityEvent(I.RunStateTransitionEvent, transition.At, new ActivityTagsCollection
        {
            [A.RunStateFrom] = StatusName(transition.From),
            [A.RunStateTo] = StatusName(transition.To),
        }));
    }

    /// <summary>Ends a run's activity: Error with the exception if the run failed.</summary>
    public static void EndRun(Activity activity, Exception? failure)
    {
        if (failure is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, failure.Message);
            activity.AddException(failure);
        }

        activity.Stop();
    }

    /// <summary>Starts an activity of the host (its start or its stop) without making it current: nothing else is its
    /// child by accident, whichever flow the host's lifecycle runs on.</summary>
    public static Activity? StartHostActivity(string name)
    {
        if (!StewardTelemetry.ActivitySource.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        Activity.Current = null;
        var activity = StewardTelemetry.ActivitySource.StartActivity(name, ActivityKind.Internal);
        Activity.Current = previous;
        return activity;
    }

    private static readonly string[] s_statusNames = [.. Enum.GetValues<RunStateStatus>().Select(s => s.ToString().ToLowerInvariant())];

    private static string StatusName(RunStateStatus status) => s_statusNames[(int)status];

    private static List<Measurement<int>> ObserveInstances()
    {
        var measurements = new List<Measurement<int>>();
        s_controllers.ForEach(controller =>
        {
            var now = controller.Clock.GetUtcNow();
            var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var instance in controller.Instances)
            {
                if (!counts.TryGetValue(instance.Name, out var byHealth))
                {
                    counts[instance.Name] = byHealth = new int[s_healths.Length];
                }

                byHealth[(int)instance.Snapshot(now).Health]++;
            }

            // Every health of every worker, zeros included, so a series that empties reads 0 rather than its last value.
            foreach (var (worker, byHealth) in counts)
            {
                for (var h = 0; h < byHealth.Length; h++)
                {
                    measurements.Add(new Measurement<int>(byHealth[h], new(A.WorkerName, worker), new(A.WorkerHealth, s_healthNames[h])));
                }
            }
        });
        return measurements;
    }
}
