using System.Text;

namespace Steward.Hosting;

/// <summary>The one-line STATUS= summary systemd shows (<c>systemctl status</c>, StatusText): workers by health, and
/// what is wrong with those that are not running, e.g. "3 running, 1 restarting (SensorMonitor#2: IOException)", then each
/// clustered worker's role here, e.g. "; Poller leader, Orders 4/12 partitions".</summary>
internal static class SystemdStatus
{
    private static readonly WorkerHealth[] s_order =
    [
        WorkerHealth.Running, WorkerHealth.Standby, WorkerHealth.Paused, WorkerHealth.Starting, WorkerHealth.Restarting, WorkerHealth.Stalled,
        WorkerHealth.Faulted, WorkerHealth.GaveUp, WorkerHealth.Stopped,
    ];

    /// <summary>The summary; <paramref name="stage"/> (e.g. "stopping") leads it when given.</summary>
    public static string Describe(IReadOnlyList<WorkerStatus> workers, string? stage = null)
    {
        var text = new StringBuilder();
        if (stage is not null)
        {
            text.Append(stage).Append(": ");
        }

        if (workers.Count == 0)
        {
            return text.Append("no workers").ToString();
        }

        var first = true;
        foreach (var health in s_order)
        {
            var count = 0;
            foreach (var worker in workers)
            {
                count += worker.Health == health ? 1 : 0;
            }

            if (count == 0)
            {
                continue;
            }

            text.Append(first ? "" : ", ").Append(count).Append(' ').Append(health == WorkerHealth.GaveUp ? "gave up" : health.ToString().ToLowerInvariant());
            first = false;
            if (health is WorkerHealth.Running or WorkerHealth.Standby or WorkerHealth.Paused or WorkerHealth.Starting or WorkerHealth.Stopped)
            {
                continue;
            }

            // Which ones, and why (their last error's type), for the states an operator acts on; at most three named.
            var named = workers.Where(w => w.Health == health).Take(3)
                .Select(w => w.LastError is { } error ? $"{w.Name}#{w.Instance}: {error.GetType().Name}" : $"{w.Name}#{w.Instance}");
            text.Append(" (").Append(string.Join(", ", named)).Append(count > 3 ? ", ..." : "").Append(')');
        }

        Cluster(workers, text);
        return text.ToString();
    }

    /// <summary>Each clustered worker's role here: "; Poller leader, Orders 4/12 partitions" (or standby, or 0/12).</summary>
    private static void Cluster(IReadOnlyList<WorkerStatus> workers, StringBuilder text)
    {
        var separator = "; ";
        foreach (var worker in workers.Where(w => w.Cluster is not null).GroupBy(w => w.Name))
        {
            text.Append(separator).Append(worker.Key).Append(' ');
            separator = ", ";
            var held = worker.Count(w => w.Cluster!.IsHolder);
            if (worker.First().Cluster!.Mode == ClusterMode.Singleton)
            {
                text.Append(held > 0 ? "leader" : "standby");
            }
            else
            {
                text.Append(held).Append('/').Append(worker.Count()).Append(" partitions");
            }
        }
    }
}
