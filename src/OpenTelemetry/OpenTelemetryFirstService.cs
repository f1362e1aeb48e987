using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Steward.Hosting;

/// <summary>
/// Registered first among the hosted services by <c>UseOpenTelemetry</c>: constructing it creates the OpenTelemetry
/// tracer and meter providers before any other hosted service exists (so nothing the start records is missed, and the
/// providers, created first, are disposed and flushed last). It does nothing itself.
/// </summary>
internal sealed class OpenTelemetryFirstService : IHostedService
{
    public OpenTelemetryFirstService(IServiceProvider services)
    {
        _ = services.GetService<TracerProvider>();
        _ = services.GetService<MeterProvider>();
    }

    /// <summary>Nothing: the providers were created with this service.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing: the providers flush when the host's container disposes them.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
