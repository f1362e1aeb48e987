namespace Steward.Hosting;

/// <summary>
/// How a worker runs when several processes of the same service share one coordination database
/// (<c>Steward:Workers:&lt;name&gt;:Cluster:Mode</c>; needs <c>UsePostgresCoordination</c>).
/// </summary>
public enum ClusterMode
{
    /// <summary>Every process runs the worker, as without coordination. The default.</summary>
    None,

    /// <summary>
    /// Exactly one process runs the worker at a time: the holder of its lease. The others stand by
    /// (<see cref="WorkerHealth.Standby"/>) and one of them takes over when the holder stops, dies or loses the database.
    /// </summary>
    Singleton,

    /// <summary>
    /// The worker's work is split into <see cref="WorkerClusterOptions.Partitions"/> partitions; each runs in exactly one
    /// process, and the partitions spread evenly over the live processes, moving when one joins or leaves. Each partition
    /// is one instance of the worker; it reads its number from <see cref="ClusterLease.Partition"/>.
    /// </summary>
    Partitioned,
}
