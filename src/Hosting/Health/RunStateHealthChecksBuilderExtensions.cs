using Microsoft.Extensions.Diagnostics.HealthChecks;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Steward's health check.</summary>
public static class RunStateHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the worker health check: Healthy when every worker runs, Degraded while paused or restarting, Unhealthy when
    /// one faulted, gave up, or has not reached a checkpoint within its <see cref="WorkerOptions.StallTimeout"/>.
    /// Needs <c>services.AddRunState()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">What Unhealthy is reported as; Unhealthy by default.</param>
    /// <param name="tags">Tags for filtering.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddRunStateHealthCheck(
        this IHealthChecksBuilder builder, string name = "steward", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name, sp => new RunStateHealthCheck(sp.GetRequiredService<RunStateController>()), failureStatus, tags));
    }
}
