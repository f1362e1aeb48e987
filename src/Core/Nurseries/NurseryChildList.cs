namespace Steward.Nurseries;

/// <summary>
/// The running children of a nursery as an intrusive doubly linked list (the links live in <see cref="NurseryChild"/>):
/// O(1) add and remove without allocating, which matters for nurseries that start children by the hundred thousand.
/// Not thread-safe: guarded by the lock of its shard in <see cref="NurseryChildren"/>.
/// </summary>
internal struct NurseryChildList
{
    private NurseryChild? _first;

    public int Count { get; private set; }

    public void Add(NurseryChild child)
    {
        child.Next = _first;
        child.Previous = null;
        if (_first is not null)
        {
            _first.Previous = child;
        }

        _first = child;
        Count++;
    }

    /// <summary>Removes <paramref name="child"/>, which must be in this list.</summary>
    public void Remove(NurseryChild child)
    {
        if (child.Previous is { } previous)
        {
            previous.Next = child.Next;
        }
        else
        {
            _first = child.Next;
        }

        if (child.Next is { } next)
        {
            next.Previous = child.Previous;
        }

        child.Previous = child.Next = null;
        Count--;
    }

    public readonly NurseryChild[] ToArray()
    {
        var children = new NurseryChild[Count];
        var index = 0;
        for (var child = _first; child is not null; child = child.Next)
        {
            children[index++] = child;
        }

        return children;
    }

    /// <summary>Moves every child to <paramref name="target"/>, telling each its new owner.</summary>
    public void MoveTo(ref NurseryChildList target, TaskNursery owner)
    {
        while (_first is { } child)
        {
            Remove(child);
            child.Nursery = owner;
            target.Add(child);
        }
    }
}
