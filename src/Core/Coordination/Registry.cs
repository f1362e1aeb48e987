using System.Diagnostics;

namespace Steward.Coordination;

/// <summary>
/// A name → object registry that holds its entries weakly: an entry disappears once nothing else references its
/// object. Names are unique among live entries. Ported from codestare's <c>Registry</c>/<c>RegistryMeta</c>.
/// </summary>
/// <typeparam name="T">The registered type.</typeparam>
[DebuggerDisplay("Registry {_name,nq}: {Count} live")]
public sealed class Registry<T>
    where T : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, WeakReference<T>> _entries = new(StringComparer.Ordinal); // guarded by _lock
    private readonly string _name;

    /// <summary>Creates an empty registry.</summary>
    /// <param name="name">A name for messages; defaults to the registered type's name.</param>
    public Registry(string? name = null)
    {
        _name = name ?? typeof(T).Name;
    }

    /// <summary>How many entries are alive now.</summary>
    public int Count => Snapshot().Count;

    /// <summary>Registers <paramref name="item"/> under <paramref name="key"/>, weakly.</summary>
    /// <param name="key">The unique name.</param>
    /// <param name="item">The object.</param>
    /// <exception cref="ArgumentException">A live entry already has <paramref name="key"/>.</exception>
    public void Register(string key, T item)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing) && existing.TryGetTarget(out var live))
            {
                throw new ArgumentException(
                    $"Registry '{_name}' already holds a live entry named '{key}' ({live}); names must be unique among live entries.",
                    nameof(key));
            }

            _entries[key] = new WeakReference<T>(item);
        }
    }

    /// <summary>Removes <paramref name="key"/> if it is registered to <paramref name="item"/>.</summary>
    /// <param name="key">The name.</param>
    /// <param name="item">The object it must refer to.</param>
    /// <returns>Whether an entry was removed.</returns>
    public bool Unregister(string key, T item)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing)
                && (!existing.TryGetTarget(out var live) || ReferenceEquals(live, item)))
            {
                return _entries.Remove(key);
            }

            return false;
        }
    }

    /// <summary>Finds the live entry named <paramref name="key"/>.</summary>
    /// <param name="key">The name.</param>
    /// <param name="item">The object, if alive.</param>
    /// <returns>Whether a live entry was found.</returns>
    public bool TryGet(string key, out T item)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var entry) && entry.TryGetTarget(out var live))
            {
                item = live;
                return true;
            }

            item = null!;
            return false;
        }
    }

    /// <summary>The live entries now (dead ones are purged on the way).</summary>
    /// <returns>A copy.</returns>
    public IReadOnlyDictionary<string, T> Snapshot()
    {
        lock (_lock)
        {
            var live = new Dictionary<string, T>(_entries.Count, StringComparer.Ordinal);
            List<string>? dead = null;
            foreach (var (key, entry) in _entries)
            {
                if (entry.TryGetTarget(out var item))
                {
                    live[key] = item;
                }
                else
                {
                    (dead ??= []).Add(key);
                }
            }

            dead?.ForEach(key => _entries.Remove(key));
            return live;
        }
    }
}
