namespace Steward.Hosting;

/// <summary>
/// The signals Steward listens to besides SIGINT, SIGTERM and SIGQUIT (which always stop the host): names such as
/// <c>SIGUSR1</c> or <c>USR1</c>, or a signal number; an empty value turns the feature off. POSIX only.
/// </summary>
public sealed class SignalOptions
{
    /// <summary>Pauses every worker (they wait at their next checkpoint). Default <c>SIGUSR1</c>.</summary>
    public string Pause { get; set; } = "SIGUSR1";

    /// <summary>Resumes every worker. Default <c>SIGUSR2</c>.</summary>
    public string Resume { get; set; } = "SIGUSR2";

    /// <summary>Reloads the configuration (every <c>IOptionsMonitor</c> sees the new values). Default <c>SIGHUP</c>.</summary>
    public string Reload { get; set; } = "SIGHUP";
}
