namespace Steward.Support;

/// <summary>
/// (Shared source: compiled into each Steward assembly that needs it, from src/Shared.)
/// The live members of a set the set does not keep alive (the objects an observable instrument reports on): added to
/// from any thread, enumerated when a listener collects, pruned of collected members as it goes.
/// </summary>
internal sealed class WeakSet<T>
    where T : class
{
    private readonly Lock _lock = new();
    private readonly List<WeakReference<T>> _members = [];
    private int _pruneAt = 16;

    public void Add(T member)
    {
        lock (_lock)
        {
            // Amortised pruning: the list never grows past twice the members still alive at the last prune.
            if (_members.Count >= _pruneAt)
            {
                _members.RemoveAll(static reference => !reference.TryGetTarget(out _));
                _pruneAt = Math.Max(16, _members.Count * 2);
            }

            _members.Add(new WeakReference<T>(member));
        }
    }

    /// <summary>Calls <paramref name="action"/> for every live member (under the set's lock: keep it short).</summary>
    public void ForEach(Action<T> action)
    {
        lock (_lock)
        {
            foreach (var reference in _members)
            {
                if (reference.TryGetTarget(out var member))
                {
                    action(member);
                }
            }
        }
    }
}
