using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Steward.Hosting;

/// <summary>
/// The lease a clustered worker's run holds (<see cref="ClusterMode.Singleton"/> or <see cref="ClusterMode.Partitioned"/>):
/// resolve it from the run's scope, or take it as a constructor parameter of the worker. One per run; a run starts only
/// once this process holds it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Losing it.</b> When this process stops being sure it holds the lease (its coordination connection died, the
/// database restarted, an administrator terminated its backend, renewals failed for most of
/// <see cref="ClusterOptions.LeaseTimeout"/>) or gives it up to rebalance partitions, <see cref="LostToken"/> is
/// cancelled and so is the run's RunState, at once and before the lease can expire in the database, so before
/// another process can take it over. The run then ends like any cancelled run and the instance stands by again.
/// </para>
/// <para>
/// <b>Fencing.</b> Cancelling is not stopping: a worker in the middle of a write when the lease is lost may finish it
/// after another process has taken over, and a process frozen (a long GC pause, a suspended VM) learns of its loss
/// only when it wakes. Writes that must never come from two holders carry <see cref="Epoch"/>, which grows with every
/// acquisition, and the store rejects a write whose epoch is lower than the highest it has seen (a conditional update
/// of a row holding the epoch, in the same transaction as the write). docs/cluster.md shows the SQL.
/// </para>
/// </remarks>
[DebuggerDisplay("{Name,nq}/{Partition} epoch {Epoch} held by {Holder,nq}{LostToken.IsCancellationRequested ? \" (lost)\" : \"\",nq}")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The source has no timer and its wait handle is never created: nothing to release; a lease outlives its run's scope in callbacks.")]
public sealed class ClusterLease
{
    private readonly CancellationTokenSource _lost = new();
    private string? _lostReason;

    internal ClusterLease(string name, int partition, long epoch, string holder, DateTimeOffset acquiredAt)
    {
        Name = name;
        Partition = partition;
        Epoch = epoch;
        Holder = holder;
        AcquiredAt = acquiredAt;
        LostToken = _lost.Token;
    }

    /// <summary>The worker's name.</summary>
    public string Name { get; }

    /// <summary>The partition, from 0 (always 0 for a singleton).</summary>
    public int Partition { get; }

    /// <summary>
    /// The fencing token: larger than the epoch of every earlier acquisition of this lease, by any process. Stamp it on
    /// writes that a stale holder must not make.
    /// </summary>
    public long Epoch { get; }

    /// <summary>This process, as the lease table names it: <c>host/pid/random</c>.</summary>
    public string Holder { get; }

    /// <summary>When this process acquired the lease.</summary>
    public DateTimeOffset AcquiredAt { get; }

    /// <summary>Cancelled when this process loses the lease or gives it up (the run's RunState is cancelled with it), and
    /// when it releases it after the run ended.</summary>
    public CancellationToken LostToken { get; }

    /// <summary>Why the lease was lost or given up; null while it is held.</summary>
    public string? LostReason => Volatile.Read(ref _lostReason);

    internal bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Whether this process gave the lease up to rebalance partitions (rather than lost it).</summary>
    internal bool GivenUp { get; private set; }

    /// <summary>Marks the lease lost (or <paramref name="givenUp"/>) and cancels <see cref="LostToken"/> (its callbacks run
    /// on the caller's thread); only the first reason is kept. Returns true the first time.</summary>
    internal bool Lose(string reason, bool givenUp = false)
    {
        if (Interlocked.CompareExchange(ref _lostReason, reason, null) is not null)
        {
            return false;
        }

        GivenUp = givenUp;
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException)
        {
            // A LostToken callback threw (the run's RunState reports its own handlers' failures when the run ends): the
            // lease is lost all the same, and the coordinator must go on giving up the others.
        }

        return true;
    }
}
