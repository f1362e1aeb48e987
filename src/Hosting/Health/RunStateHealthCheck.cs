using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Steward.Hosting;

/// <summary>
/// Reports the workers' health: Healthy when every worker instance runs or stands by for its cluster lease; Degraded while
/// one is paused, restarting, starting or stopped, or stands by while the coordination database is out of reach; Unhealthy when one faulted, gave up or stalled (no checkpoint within its StallTimeout).
/// The data holds each instance's health by "name#instance".
/// </summary>
internal sealed class RunStateHealthCheck(RunStateController controller) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = controller.Workers;
        var data = workers.ToDictionary(w => $"{w.Name}#{w.Instance}", w => (object)w.Health.ToString());
        var unhealthy = workers.Where(IsUnhealthy).ToList();
        if (unhealthy.Count > 0)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, Describe(unhealthy), data: data));
        }

        // A standby is doing its job, unless it cannot even compete: the coordination database is out of reach.
        var problem = controller.CoordinationProblem;
        var degraded = workers.Where(w => w.Health != WorkerHealth.Running && (w.Health != WorkerHealth.Standby || problem is not null)).ToList();
        if (degraded.Count > 0)
        {
            var description = Describe(degraded);
            return Task.FromResult(HealthCheckResult.Degraded(
                problem is not null && degraded.Exists(w => w.Health == WorkerHealth.Standby) ? $"{description}; cluster coordination: {problem}" : description,
                data: data));
        }

        var standby = workers.Count(w => w.Health == WorkerHealth.Standby);
        return Task.FromResult(HealthCheckResult.Healthy(
            standby == 0 ? $"{workers.Count} worker instance(s) running" : $"{workers.Count - standby} worker instance(s) running, {standby} standing by", data));
    }

    /// <summary>Whether an instance makes the service Unhealthy: it faulted, gave up or stalled.</summary>
    public static bool IsUnhealthy(WorkerStatus worker) =>
        worker.Health is WorkerHealth.Faulted or WorkerHealth.GaveUp or WorkerHealth.Stalled;

    private static string Describe(List<WorkerStatus> workers) =>
        string.Join(", ", workers.Select(w => $"{w.Name}#{w.Instance} {w.Health}"));
}
