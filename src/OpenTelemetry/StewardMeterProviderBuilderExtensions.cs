using Steward.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Adds Steward's instruments to an OpenTelemetry meter provider.</summary>
public static class StewardMeterProviderBuilderExtensions
{
    /// <summary>
    /// Records Steward's instruments (<see cref="StewardTelemetry.Meter"/>, named <c>"Steward"</c>): RunState and
    /// state-machine transitions, worker restarts, instances by health and run durations, deferred-call queue sizes,
    /// durations, failures and timeouts, nursery children, MultiOpen opens and startup/shutdown durations, pool items and
    /// tasklet messages. The names are in <see cref="StewardTelemetry.Instruments"/>.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddStewardInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(StewardTelemetry.Name);
    }
}
