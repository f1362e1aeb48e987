namespace Steward.Hosting;

/// <summary>The coordination of a cluster of processes: <c>Steward:Cluster</c>. Read when the host starts.</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// How long a lease lasts without renewal. A holder renews its leases every third of it; one that cannot (its
    /// connection died, the database is away) cancels its workers before the lease expires, and another process takes
    /// the lease over once it has. So this is the longest a singleton stays without a runner after its holder is killed
    /// (plus the time the new holder's worker needs to start). Default 15 seconds; at least one second.
    /// </summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The name the leases are kept under, so that several services can share one database and each may have a worker
    /// called, say, "Poller". Default: the application's name (<c>IHostEnvironment.ApplicationName</c>).
    /// </summary>
    public string? Group { get; set; }
}
