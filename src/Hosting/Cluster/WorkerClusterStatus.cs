namespace Steward.Hosting;

/// <summary>Where a clustered worker instance stands in its cluster, as <see cref="WorkerStatus.Cluster"/> reports it.</summary>
/// <param name="Mode">Singleton or Partitioned.</param>
/// <param name="Partition">The partition this instance runs (0 for a singleton).</param>
/// <param name="IsHolder">Whether this process holds the lease (the instance runs, or is stopping to hand it over).</param>
/// <param name="Epoch">The lease's epoch: this process's while it holds it, otherwise the last one seen, if any.</param>
/// <param name="Holder">The process that holds the lease, as the database says (this one's
/// <see cref="ClusterLease.Holder"/> while it holds it); null when nobody does or the database was not reached.</param>
public sealed record WorkerClusterStatus(ClusterMode Mode, int Partition, bool IsHolder, long? Epoch, string? Holder);
