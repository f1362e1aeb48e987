using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Steward.Hosting;

/// <summary>
/// Reports the workers' health: Healthy when every worker instance runs; Degraded while one is paused, restarting,
/// starting or stopped; Unhealthy when one faulted, gave up or stalled (no checkpoint within its StallTimeout).
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

        var degraded = workers.Where(w => w.Health != WorkerHealth.Running).ToList();
        return Task.FromResult(degraded.Count > 0
            ? HealthCheckResult.Degraded(Describe(degraded), data: data)
            : HealthCheckResult.Healthy($"{workers.Count} worker instance(s) running", data));
    }

    /// <summary>Whether an instance makes the service Unhealthy: it faulted, gave up or stalled.</summary>
    public static bool IsUnhealthy(WorkerStatus worker) =>
        worker.Health is WorkerHealth.Faulted or WorkerHealth.GaveUp or WorkerHealth.Stalled;

    private static string Describe(List<WorkerStatus> workers) =>
        string.Join(", ", workers.Select(w => $"{w.Name}#{w.Instance} {w.Health}"));
}
