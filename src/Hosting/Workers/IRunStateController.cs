using System.Diagnostics.CodeAnalysis;

namespace Steward.Hosting;

/// <summary>
/// Observes and steers the running workers (resolve it from DI): the host's RunState, a status per worker instance, and
/// pause/resume for all or by name. Pausing is remembered across restarts until resumed.
/// </summary>
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "Pause/Resume are the RunState vocabulary (RunState.Pause, RunState.Resume); VB's Resume statement is not a concern here.")]
public interface IRunStateController
{
    /// <summary>The host's RunState: started at ApplicationStarted, cancelled at ApplicationStopping; the workers' parent.</summary>
    RunState Host { get; }

    /// <summary>A status per worker instance (supervised workers and <see cref="RunStateBackgroundService"/>s).</summary>
    IReadOnlyList<WorkerStatus> Workers { get; }

    /// <summary>Pauses every worker instance.</summary>
    void PauseAll();

    /// <summary>Resumes every worker instance.</summary>
    void ResumeAll();

    /// <summary>Pauses every instance of <paramref name="worker"/>.</summary>
    /// <param name="worker">A worker name.</param>
    /// <exception cref="ArgumentException">No worker has that name.</exception>
    void Pause(string worker);

    /// <summary>Resumes every instance of <paramref name="worker"/>.</summary>
    /// <param name="worker">A worker name.</param>
    /// <exception cref="ArgumentException">No worker has that name.</exception>
    void Resume(string worker);
}
