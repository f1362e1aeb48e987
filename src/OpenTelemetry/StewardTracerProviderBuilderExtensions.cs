using Steward.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Adds Steward's activities to an OpenTelemetry tracer provider.</summary>
public static class StewardTracerProviderBuilderExtensions
{
    /// <summary>
    /// Records Steward's activities (<see cref="StewardTelemetry.ActivitySource"/>, named <c>"Steward"</c>): a
    /// <c>steward.worker.run</c> per run of a worker instance with its RunState transitions as events,
    /// <c>steward.host.start</c> and <c>steward.host.stop</c> with an event per stage of the stop, and a
    /// <c>steward.deferred.call</c> per <c>SyncAsync</c> call, a child of its caller's activity.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddStewardInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(StewardTelemetry.Name);
    }
}
