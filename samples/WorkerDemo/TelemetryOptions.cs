namespace WorkerDemo;

/// <summary>
/// The "OpenTelemetry" section: where to export traces and metrics over OTLP. Export is on when an endpoint is set,
/// here or by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>); with neither,
/// nothing is exported and nothing complains.
/// </summary>
internal sealed class TelemetryOptions
{
    public const string Section = "OpenTelemetry";

    /// <summary>The service name the telemetry carries (<c>service.name</c>); "WorkerDemo" by default.</summary>
    public string ServiceName { get; set; } = "WorkerDemo";

    /// <summary>The OTLP exporter's settings.</summary>
    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>Where and how to send OTLP.</summary>
    internal sealed class OtlpOptions
    {
        /// <summary>The collector's base address, e.g. <c>http://localhost:4318</c> (http/protobuf) or
        /// <c>http://localhost:4317</c> (grpc).</summary>
        public string? Endpoint { get; set; }

        /// <summary><c>http/protobuf</c> (the default) or <c>grpc</c>.</summary>
        public string? Protocol { get; set; }
    }
}
