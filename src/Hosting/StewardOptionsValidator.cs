using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>
/// Checks <see cref="StewardOptions"/> when the host starts. Every failure names the configuration key and the bad value;
/// together they stop start-up before anything runs (exit code 2 under <c>RunStewardAsync</c>).
/// </summary>
internal sealed class StewardOptionsValidator(WorkerCatalog catalog) : IValidateOptions<StewardOptions>
{
    public ValidateOptionsResult Validate(string? name, StewardOptions options)
    {
        var failures = new List<string>();
        const string Root = StewardOptions.Section;

        Positive($"{Root}:ShutdownTimeout", options.ShutdownTimeout);

        var signals = options.Signals ?? new SignalOptions();
        var used = new Dictionary<int, string>();
        Signal($"{Root}:Signals:Pause", signals.Pause);
        Signal($"{Root}:Signals:Resume", signals.Resume);
        Signal($"{Root}:Signals:Reload", signals.Reload);

        var cluster = options.Cluster ?? new ClusterOptions();
        if (cluster.LeaseTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{Root}:Cluster:LeaseTimeout must be at least one second (got '{cluster.LeaseTimeout}').");
        }

        foreach (var (worker, settings) in options.Workers ?? [])
        {
            var key = $"{Root}:Workers:{worker}";
            if (!catalog.Contains(worker))
            {
                var known = string.Join(", ", catalog.Workers.Select(w => w.Name));
                failures.Add($"{key} configures a worker that is not registered with AddWorker (registered: {(known.Length == 0 ? "none" : known)}).");
            }

            if (settings is null)
            {
                continue;
            }

            if (settings.Instances < 1)
            {
                failures.Add($"{key}:Instances must be at least 1 (got {settings.Instances}).");
            }

            if (settings.StallTimeout is { } stall)
            {
                Positive($"{key}:StallTimeout", stall);
            }

            ClusterSettings(key, settings);
            var restart = settings.Restart ?? new RestartOptions();
            if (!Enum.IsDefined(restart.Policy))
            {
                failures.Add($"{key}:Restart:Policy must be Never, OnFailure or Always (got '{restart.Policy}').");
            }

            if (restart.MaxRestarts < 0)
            {
                failures.Add($"{key}:Restart:MaxRestarts must not be negative (got {restart.MaxRestarts}).");
            }

            Positive($"{key}:Restart:Window", restart.Window);
            NotNegative($"{key}:Restart:InitialBackoff", restart.InitialBackoff);
            NotNegative($"{key}:Restart:MaxBackoff", restart.MaxBackoff);
            if (restart.MaxBackoff < restart.InitialBackoff)
            {
                failures.Add($"{key}:Restart:MaxBackoff ('{restart.MaxBackoff}') must not be shorter than InitialBackoff ('{restart.InitialBackoff}').");
            }

            if (restart.Jitter is < 0 or > 1 || double.IsNaN(restart.Jitter))
            {
                failures.Add($"{key}:Restart:Jitter must be between 0 and 1 (got {restart.Jitter}).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void ClusterSettings(string key, WorkerOptions settings)
        {
            var clustered = settings.Cluster ?? new WorkerClusterOptions();
            var mode = clustered.Mode;
            if (!Enum.IsDefined(mode))
            {
                failures.Add($"{key}:Cluster:Mode must be None, Singleton or Partitioned (got '{mode}').");
                return;
            }

            if (mode == ClusterMode.Partitioned && clustered.Partitions is < 1 or > 4096)
            {
                failures.Add($"{key}:Cluster:Partitions must be between 1 and 4096 (got {clustered.Partitions}).");
            }
            else if (mode != ClusterMode.Partitioned && clustered.Partitions != 1)
            {
                failures.Add($"{key}:Cluster:Partitions applies only when Cluster:Mode is Partitioned (got {clustered.Partitions} with mode {mode}).");
            }

            if (mode != ClusterMode.None && settings.Instances != 1)
            {
                failures.Add($"{key}:Instances must be 1 when Cluster:Mode is {mode} (got {settings.Instances}): "
                    + (mode == ClusterMode.Singleton ? "a singleton runs one instance in the whole cluster." : "each partition is one instance."));
            }

            if (mode != ClusterMode.None && !catalog.HasCoordination)
            {
                failures.Add($"{key}:Cluster:Mode is {mode}, but no coordination is configured: call UsePostgresCoordination() on AddRunState().");
            }
        }

        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{key} must be a positive duration (got '{value}').");
            }
        }

        void NotNegative(string key, TimeSpan value)
        {
            if (value < TimeSpan.Zero)
            {
                failures.Add($"{key} must not be negative (got '{value}').");
            }
        }

        void Signal(string key, string? value)
        {
            if (!SignalNames.TryParse(value, out var signal, out var error))
            {
                failures.Add($"{key}: '{value}' is not usable: {error}.");
            }
            else if (signal is { } parsed && !used.TryAdd((int)parsed, key))
            {
                failures.Add($"{key}: '{value}' is already used by {used[(int)parsed]}.");
            }
        }
    }
}
