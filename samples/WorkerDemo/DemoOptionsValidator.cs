using Microsoft.Extensions.Options;

namespace WorkerDemo;

/// <summary>Checks <see cref="DemoOptions"/> at start-up; each failure names the configuration key and the bad value.</summary>
internal sealed class DemoOptionsValidator : IValidateOptions<DemoOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            failures.Add($"{DemoOptions.Section}:DatabasePath must name a file (got '{options.DatabasePath}').");
        }

        Positive(nameof(DemoOptions.SensorInterval), options.SensorInterval);
        Positive(nameof(DemoOptions.FlushInterval), options.FlushInterval);
        Positive(nameof(DemoOptions.ReportInterval), options.ReportInterval);
        Positive(nameof(DemoOptions.SnapshotTimeout), options.SnapshotTimeout);
        Positive(nameof(DemoOptions.HeartbeatInterval), options.HeartbeatInterval);
        NotNegative(nameof(DemoOptions.Retention), options.Retention);
        NotNegative(nameof(DemoOptions.SnapshotDelay), options.SnapshotDelay);
        if (options.RunFor is { } runFor)
        {
            Positive(nameof(DemoOptions.RunFor), runFor);
        }

        if (options.StallAfter is { } stallAfter)
        {
            Positive(nameof(DemoOptions.StallAfter), stallAfter);
        }

        if (options.DisconnectEvery < 0)
        {
            failures.Add($"{DemoOptions.Section}:DisconnectEvery must be 0 (never) or more (got '{options.DisconnectEvery}').");
        }

        if (options.MaintenanceEvery < 1)
        {
            failures.Add($"{DemoOptions.Section}:MaintenanceEvery must be at least 1 (got '{options.MaintenanceEvery}').");
        }

        if (options.FailureRate is < 0 or > 1 || double.IsNaN(options.FailureRate))
        {
            failures.Add($"{DemoOptions.Section}:FailureRate must be between 0 and 1 (got '{options.FailureRate}').");
        }

        for (var i = 0; i < options.Sensors.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Sensors[i]))
            {
                failures.Add($"{DemoOptions.Section}:Sensors:{i} must name a sensor (got '{options.Sensors[i]}').");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{DemoOptions.Section}:{key} must be a positive duration (got '{value}').");
            }
        }

        void NotNegative(string key, TimeSpan value)
        {
            if (value < TimeSpan.Zero)
            {
                failures.Add($"{DemoOptions.Section}:{key} must not be negative (got '{value}').");
            }
        }
    }
}
