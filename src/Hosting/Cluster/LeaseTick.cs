namespace Steward.Hosting;

/// <summary>A lease by worker, partition and epoch.</summary>
internal readonly record struct LeaseKey(string Worker, int Partition, long Epoch);

/// <summary>What one coordination round trip asks of the database, built under the coordinator's lock.</summary>
internal sealed class LeaseTickRequest
{
    /// <summary>Leases whose runs have ended: released first, and the other processes notified.</summary>
    public List<LeaseKey> Releases { get; } = [];

    /// <summary>Leases this process holds: renewed.</summary>
    public List<LeaseKey> Renewals { get; } = [];

    /// <summary>Partitioned workers this process takes part in: its membership is renewed and the members counted.</summary>
    public List<string> Members { get; } = [];

    /// <summary>Per worker, the partitions offered for acquisition.</summary>
    public List<LeaseWant> Wants { get; } = [];

    /// <summary>Workers whose lease rows are read back (holders and expiry), for statuses and the next attempt.</summary>
    public List<string> Snapshot { get; } = [];
}

/// <summary>What a worker wants: any of <paramref name="Ready"/>, up to its share (a singleton: one).</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Mode">Singleton or Partitioned.</param>
/// <param name="Partitions">How many partitions it has.</param>
/// <param name="Ready">The partitions whose slots stand by.</param>
/// <param name="Held">How many of its leases this process holds (releasing ones included).</param>
internal sealed record LeaseWant(string Worker, ClusterMode Mode, int Partitions, int[] Ready, int Held);

/// <summary>What the database answered.</summary>
internal sealed class LeaseTickResult
{
    /// <summary>Leases renewed: those of the request missing here are no longer this process's.</summary>
    public HashSet<(string Worker, int Partition)> Renewed { get; } = [];

    /// <summary>Live members per partitioned worker, and how many of them sort before this process.</summary>
    public Dictionary<string, (int Count, int Rank)> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>Leases acquired, with how long the lease had been without a live holder (null for a first acquisition).</summary>
    public List<(LeaseKey Lease, double? FailoverSeconds)> Acquired { get; } = [];

    /// <summary>Unexpired leases of the snapshot's workers: holder, epoch and seconds until they expire.</summary>
    public List<(string Worker, int Partition, string Holder, long Epoch, double ExpiresIn)> Held { get; } = [];
}
