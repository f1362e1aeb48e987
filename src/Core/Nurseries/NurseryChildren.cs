using System.Diagnostics;

namespace Steward.Nurseries;

/// <summary>
/// The running children of one nursery, split over a few shards, each an intrusive list with its own lock: the thread
/// starting children and the pool threads ending them rarely contend for the same lock (a child's shard comes from its
/// sequential id), which is what lets a nursery start children almost as fast as <c>Task.Run</c>.
/// </summary>
/// <remarks>
/// Invariants: a child is in exactly one shard of its current owner from its Launch until its end; <see cref="Running"/>
/// counts them, and is changed only while holding the shard lock of the child concerned (so a snapshot taken holding
/// every shard lock sees a count that matches the lists).
/// </remarks>
[DebuggerDisplay("{Running} running children")]
internal sealed class NurseryChildren
{
    private const int ShardCount = 8; // a power of two
    private readonly Shard[] _shards = [new(), new(), new(), new(), new(), new(), new(), new()];
    private int _running;

    public int Running => Volatile.Read(ref _running);

    /// <summary>Adds <paramref name="child"/> unless <paramref name="refuse"/> (checked under the shard lock) says no.</summary>
    public bool TryAdd(NurseryChild child, Func<bool> refuse)
    {
        var shard = ShardOf(child);
        lock (shard.Lock)
        {
            if (refuse())
            {
                return false;
            }

            shard.Children.Add(child);
            Interlocked.Increment(ref _running);
            return true;
        }
    }

    /// <summary>
    /// Removes <paramref name="child"/> if this list still owns it (<paramref name="owner"/> is its nursery under the shard
    /// lock); returns the running count left, or -1 if the child moved to another nursery meanwhile. A
    /// <paramref name="failure"/> is recorded by the owner before the count drops, so whoever sees the count reach zero
    /// (the close waiting for the children) sees every failure too.
    /// </summary>
    public int TryRemove(NurseryChild child, TaskNursery owner, Exception? failure, out bool firstFailure)
    {
        var shard = ShardOf(child);
        lock (shard.Lock)
        {
            if (!ReferenceEquals(child.Nursery, owner))
            {
                firstFailure = false;
                return -1;
            }

            firstFailure = failure is not null && owner.RecordChildFailure(failure);
            shard.Children.Remove(child);
            return Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>The children now (every shard locked in turn, so launches in progress finish first).</summary>
    public NurseryChild[] Snapshot()
    {
        var all = new List<NurseryChild>(Running);
        foreach (var shard in _shards)
        {
            lock (shard.Lock)
            {
                all.AddRange(shard.Children.ToArray());
            }
        }

        return [.. all];
    }

    /// <summary>Moves every child to <paramref name="target"/>, owned by <paramref name="owner"/> from then on; returns how
    /// many moved (each under its shard's lock, so a child that ends meanwhile is counted by exactly one owner).</summary>
    public int MoveTo(NurseryChildren target, TaskNursery owner)
    {
        var total = 0;
        for (var i = 0; i < ShardCount; i++)
        {
            // Lock order: source shard, then target shard (only PopAll holds two).
            lock (_shards[i].Lock)
            {
                lock (target._shards[i].Lock)
                {
                    var moved = _shards[i].Children.Count;
                    _shards[i].Children.MoveTo(ref target._shards[i].Children, owner);
                    Interlocked.Add(ref target._running, moved);
                    Interlocked.Add(ref _running, -moved);
                    total += moved;
                }
            }
        }

        return total;
    }

    private Shard ShardOf(NurseryChild child) => _shards[(int)(child.Id & (ShardCount - 1))];

    private sealed class Shard
    {
        public readonly Lock Lock = new();
        public NurseryChildList Children;
    }
}
