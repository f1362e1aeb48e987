using Microsoft.Extensions.Options;

namespace WorkerDemo;

/// <summary>Checks the "OpenTelemetry" section at start-up; each failure names the key and the bad value (exit code 2).</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            failures.Add($"{TelemetryOptions.Section}:ServiceName must not be empty (got '{options.ServiceName}').");
        }

        if (options.Otlp.Endpoint is { Length: > 0 } endpoint
            && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"{TelemetryOptions.Section}:Otlp:Endpoint must be an absolute http or https address (got '{endpoint}').");
        }

        if (options.Otlp.Protocol is { } protocol && DemoTelemetry.ParseProtocol(protocol) is null)
        {
            failures.Add($"{TelemetryOptions.Section}:Otlp:Protocol must be 'http/protobuf' or 'grpc' (got '{protocol}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
