using System.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// One clustered worker instance's place in the coordination: the lease it wants (worker name and partition), the one
/// it holds, and what it last saw of the holder. Every field is guarded by the owning coordinator's lock.
/// </summary>
/// <remarks>
/// The life of a lease, as the supervisor and the coordinator's loop move it: <c>Wanting</c> (a supervisor waits on
/// <see cref="Grant"/>) → <c>Held</c> (<see cref="Lease"/> set, renewed each tick) → either lost (the lease is dropped
/// at once, nothing to release) or, once the run has ended, <c>ReleasePending</c> until the loop has released it in
/// the database. A slot with a release pending is not offered for acquisition: its next lease must not be the one it
/// is still giving back.
/// </remarks>
[DebuggerDisplay("{Worker,nq}/{Partition}: {Lease is null ? (Grant is null ? \"idle\" : \"wanting\") : \"held\",nq}")]
internal sealed class LeaseSlot(string worker, int partition, ClusterMode mode)
{
    public string Worker { get; } = worker;

    public int Partition { get; } = partition;

    public ClusterMode Mode { get; } = mode;

    /// <summary>Set while a supervisor waits for the lease; completed (outside the lock) when it is granted.</summary>
    public TaskCompletionSource<ClusterLease>? Grant { get; set; }

    /// <summary>The lease this process holds for the slot, lost or not, until it is released or dropped.</summary>
    public ClusterLease? Lease { get; set; }

    /// <summary>The run of <see cref="Lease"/> has ended: the loop releases it in the database at its next tick.</summary>
    public bool ReleasePending { get; set; }

    /// <summary>The holder and epoch last read from the database, for statuses.</summary>
    public string? SeenHolder { get; set; }

    public long? SeenEpoch { get; set; }

    /// <summary>Offered for acquisition: wanted, not held, not being released.</summary>
    public bool IsReady => Grant is not null && Lease is null && !ReleasePending;

    public WorkerClusterStatus Status() => Lease is { } lease
        ? new(Mode, Partition, IsHolder: true, lease.Epoch, lease.Holder)
        : new(Mode, Partition, IsHolder: false, SeenEpoch, SeenHolder);
}
