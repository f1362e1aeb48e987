namespace Steward.Hosting;

/// <summary>
/// How one worker is shared among the processes of a cluster: <c>Steward:Workers:&lt;name&gt;:Cluster</c>. Read when the
/// host starts (a reload does not change it). Every process of the service must agree on it.
/// </summary>
public sealed class WorkerClusterOptions
{
    /// <summary>None (every process runs the worker), Singleton or Partitioned. Default <see cref="ClusterMode.None"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.None;

    /// <summary>
    /// With <see cref="ClusterMode.Partitioned"/>, how many partitions (from 0): each is one lease and one instance of the
    /// worker. Must be 1 (the default) in the other modes.
    /// </summary>
    public int Partitions { get; set; } = 1;
}
