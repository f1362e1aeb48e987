namespace Steward.Hosting;

/// <summary>Steward's settings: the "Steward" configuration section, validated when the host starts.</summary>
public sealed class StewardOptions
{
    /// <summary>The configuration section Steward binds.</summary>
    public const string Section = "Steward";

    /// <summary>
    /// How long the stop may take: workers, the host nursery and resources must let go within it. On expiry every
    /// worker that has not stopped is logged and the process exits with <see cref="StewardExitCodes.ShutdownTimeout"/>.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Which signals pause, resume and reload.</summary>
    public SignalOptions Signals { get; set; } = new();

    /// <summary>How the processes of a cluster coordinate (with <c>UsePostgresCoordination</c>).</summary>
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>Per-worker settings, by worker name. A worker without an entry uses the defaults.</summary>
    public Dictionary<string, WorkerOptions> Workers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The settings of <paramref name="worker"/>: its entry in <see cref="Workers"/>, or the defaults.</summary>
    /// <param name="worker">A worker name.</param>
    /// <returns>The settings.</returns>
    public WorkerOptions For(string worker) => Workers.TryGetValue(worker, out var options) ? options : s_defaults;

    private static readonly WorkerOptions s_defaults = new();
}
