using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires Steward to OpenTelemetry (<c>OpenTelemetry.Extensions.Hosting</c>).</summary>
public static class OpenTelemetryRunStateBuilderExtensions
{
    /// <summary>
    /// Adds the OpenTelemetry SDK (<c>services.AddOpenTelemetry()</c>) with Steward's activities and instruments
    /// (<c>AddStewardInstrumentation()</c> on tracing and on metrics); <paramref name="configure"/> adds exporters,
    /// resource attributes and other instrumentation, as on the builder <c>AddOpenTelemetry()</c> returns.
    /// </summary>
    /// <remarks>
    /// The SDK is created before any hosted service is constructed, so the first activity of the host's start is recorded,
    /// and disposed (which flushes every exporter) after the host has stopped and after every other service it created:
    /// the last transitions of the stop, every worker's Stopping and Stopped and <c>steward.host.stop</c> with the exit
    /// code, are exported. With no exporter configured nothing is exported and nothing complains.
    /// </remarks>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the OpenTelemetry builder further; usually adds exporters.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder UseOpenTelemetry(this IRunStateBuilder builder, Action<IOpenTelemetryBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var otel = builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddStewardInstrumentation())
            .WithMetrics(metrics => metrics.AddStewardInstrumentation());
        configure?.Invoke(otel);

        // First among the hosted services, so the providers it takes are created before anything else the host starts
        // (singletons are disposed in reverse order of creation: they go last, flushing what everything else recorded).
        if (!builder.Services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(OpenTelemetryFirstService)))
        {
            builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, OpenTelemetryFirstService>());
        }

        return builder;
    }
}
