namespace Steward.Hosting;

/// <summary>The <see cref="ClusterLease"/> of the run a DI scope belongs to (scoped): set by the supervisor before it
/// creates the worker; what the scoped <see cref="ClusterLease"/> resolves to.</summary>
internal sealed class ClusterLeaseHolder
{
    public ClusterLease? Lease { get; set; }
}
