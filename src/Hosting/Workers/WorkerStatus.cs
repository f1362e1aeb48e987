namespace Steward.Hosting;

/// <summary>A snapshot of one worker instance.</summary>
/// <param name="Name">The worker's name.</param>
/// <param name="Instance">The instance number, from 0.</param>
/// <param name="State">Its RunState's status.</param>
/// <param name="Health">Its health.</param>
/// <param name="Restarts">How many times it has been restarted since the host started.</param>
/// <param name="LastError">The exception of its last failure, if any.</param>
/// <param name="LastCheckpoint">When it was last seen passing a checkpoint (sampled about every second), if ever.</param>
public sealed record WorkerStatus(
    string Name, int Instance, RunStateStatus State, WorkerHealth Health, int Restarts, Exception? LastError, DateTimeOffset? LastCheckpoint)
{
    /// <summary>For a clustered worker (<see cref="ClusterMode.Singleton"/> or <see cref="ClusterMode.Partitioned"/>), its
    /// lease: whether this process holds it, the epoch and the holder; null otherwise.</summary>
    public WorkerClusterStatus? Cluster { get; init; }
}
