using System.Diagnostics.Metrics;
using Steward.Diagnostics;
using Steward.Support;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Hosting;

/// <summary>
/// The cluster's instruments on <see cref="StewardTelemetry.Meter"/>: leases held (observed from the live coordinators),
/// lease changes (acquired, released, lost) and failover durations, each by worker name only (bounded: never a
/// partition or an epoch).
/// </summary>
internal static class ClusterMetrics
{
    private static readonly Counter<long> s_changes = StewardTelemetry.Meter.CreateCounter<long>(
        I.ClusterLeaseChanges, "{change}", "Cluster lease changes of this process, by worker and change (acquired, released, lost).");

    private static readonly Histogram<double> s_failover = StewardTelemetry.Meter.CreateHistogram(
        I.ClusterFailoverDuration, "s", "How long a lease had no live holder when this process acquired it, by worker.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 300] });

    private static readonly Counter<long> s_roundTrips = StewardTelemetry.Meter.CreateCounter<long>(
        I.ClusterRoundTrips, "{round_trip}", "Round trips of this process's coordination connection to the database.");

    private static readonly WeakSet<ClusterCoordinator> s_coordinators = new();

    private static readonly ObservableUpDownCounter<int> s_held = StewardTelemetry.Meter.CreateObservableUpDownCounter(
        I.ClusterLeasesHeld, static () => Observe(), "{lease}", "Cluster leases held by this process, by worker.");

    public static void Track(ClusterCoordinator coordinator) => s_coordinators.Add(coordinator);

    public static void Changed(string worker, string change)
    {
        if (s_changes.Enabled)
        {
            s_changes.Add(1, new(A.WorkerName, worker), new(A.ClusterChange, change));
        }
    }

    public static void RoundTrips(int count)
    {
        if (s_roundTrips.Enabled)
        {
            s_roundTrips.Add(count);
        }
    }

    public static void Failover(string worker, double seconds)
    {
        if (s_failover.Enabled)
        {
            s_failover.Record(seconds, new KeyValuePair<string, object?>(A.WorkerName, worker));
        }
    }

    private static List<Measurement<int>> Observe()
    {
        var measurements = new List<Measurement<int>>();
        s_coordinators.ForEach(coordinator =>
        {
            foreach (var (worker, held) in coordinator.HeldByWorker())
            {
                measurements.Add(new(held, new KeyValuePair<string, object?>(A.WorkerName, worker)));
            }
        });
        return measurements;
    }
}
