using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace WorkerDemo;

/// <summary>
/// The demo's OpenTelemetry: Steward's traces and metrics (added by <c>UseOpenTelemetry</c>) exported over OTLP when an
/// endpoint is configured, in the "OpenTelemetry" section or by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables.
/// </summary>
internal static class DemoTelemetry
{
    /// <summary>Adds the service's name and, when an endpoint is configured, the OTLP exporters.</summary>
    public static void Configure(IOpenTelemetryBuilder otel, IConfiguration configuration)
    {
        var section = configuration.GetSection(TelemetryOptions.Section);
        var serviceName = section[nameof(TelemetryOptions.ServiceName)] is { Length: > 0 } name ? name : "WorkerDemo";
        otel.ConfigureResource(resource => resource.AddService(serviceName));

        var endpoint = section["Otlp:Endpoint"] is { Length: > 0 } configured ? configured : null;
        if (endpoint is null && string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return; // no collector configured: nothing is exported
        }

        // An endpoint from the section is the collector's base address, as the environment variable is; with
        // http/protobuf each signal then goes to its own path. (A bad value fails validation before anything exports.)
        var protocol = ParseProtocol(section["Otlp:Protocol"]);
        var baseUri = endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out var parsed) ? parsed : null;
        otel.WithTracing(tracing => tracing.AddOtlpExporter(o => Apply(o, baseUri, protocol, "v1/traces")))
            .WithMetrics(metrics => metrics.AddOtlpExporter(o => Apply(o, baseUri, protocol, "v1/metrics")));
    }

    /// <summary>The OTLP protocol a setting names; null for anything else (null or empty: the exporter's default).</summary>
    public static OtlpExportProtocol? ParseProtocol(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" => OtlpExportProtocol.HttpProtobuf,
        "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
        "grpc" => OtlpExportProtocol.Grpc,
        _ => null,
    };

    private static void Apply(OtlpExporterOptions options, Uri? baseUri, OtlpExportProtocol? protocol, string signalPath)
    {
        if (baseUri is null)
        {
            return; // the environment's OTEL_EXPORTER_OTLP_* settings, which the exporter reads itself
        }

        options.Protocol = protocol ?? OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(baseUri, baseUri.AbsolutePath.TrimEnd('/') + "/" + signalPath)
            : baseUri;
    }
}
