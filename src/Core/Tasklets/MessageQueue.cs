using System.Diagnostics;

namespace Steward.Tasklets;

/// <summary>
/// A tasklet's inbox: messages in arrival order, a ring buffer (no allocation per message once grown) that also
/// removes from the middle, shifting the (usually short) run of deferred messages in front of the removed one.
/// </summary>
/// <remarks>Not thread-safe: used on the loop thread only.</remarks>
[DebuggerDisplay("{Count} messages")]
internal sealed class MessageQueue
{
    private Message?[] _items = [];
    private int _head;
    private int _count;

    public int Count => _count;

    public Message this[int index] => _items[(_head + index) & (_items.Length - 1)]!;

    public void Enqueue(Message message)
    {
        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = message;
        _count++;
    }

    public void RemoveAt(int index)
    {
        Debug.Assert((uint)index < (uint)_count);
        var mask = _items.Length - 1;
        for (var i = index; i > 0; i--)
        {
            _items[(_head + i) & mask] = _items[(_head + i - 1) & mask];
        }

        _items[_head] = null;
        _head = (_head + 1) & mask;
        _count--;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        _count = 0;
    }

    /// <summary>The names of the first <paramref name="max"/> messages, for log lines.</summary>
    public string DescribeNames(int max)
    {
        var names = new List<string>(Math.Min(max, _count));
        for (var i = 0; i < _count && i < max; i++)
        {
            names.Add(this[i].Name);
        }

        return string.Join(", ", names) + (_count > max ? ", …" : "");
    }

    private void Grow()
    {
        // Capacities are powers of two so that indexing is a mask.
        var grown = new Message?[_items.Length == 0 ? 4 : _items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            grown[i] = this[i];
        }

        _items = grown;
        _head = 0;
    }
}
