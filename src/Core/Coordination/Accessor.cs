using System.Runtime.CompilerServices;

namespace Steward.Coordination;

/// <summary>Helpers for <see cref="Accessor{T}"/>.</summary>
public static class Accessor
{
    /// <summary>
    /// The <see cref="Accessor{T}"/> of a property, created on first use over the property's getter and setter and
    /// cached in <paramref name="field"/> (thread-safe: racing callers get one instance).
    /// </summary>
    /// <example><code>
    /// private int _level;
    /// private Accessor&lt;int&gt;? _levelAccessor;
    /// public Accessor&lt;int&gt; Level => Accessor.ForProperty(ref _levelAccessor, () => _level, v => _level = v);
    /// // await sensor.Level.GetAsync(l => l > 10); await sensor.Level.SetAsync(12);
    /// </code></example>
    /// <typeparam name="T">The property type.</typeparam>
    /// <param name="field">Where the accessor is cached.</param>
    /// <param name="getter">The property's getter.</param>
    /// <param name="setter">The property's setter.</param>
    /// <param name="condition">The condition to guard it with; a new one by default.</param>
    /// <param name="name">The accessor's name; the calling property by default.</param>
    /// <returns>The cached accessor.</returns>
    public static Accessor<T> ForProperty<T>(
        ref Accessor<T>? field,
        Func<T> getter,
        Action<T> setter,
        AsyncCondition? condition = null,
        [CallerMemberName] string? name = null)
    {
        if (Volatile.Read(ref field) is { } existing)
        {
            return existing;
        }

        var created = new Accessor<T>(getter, setter, condition, name);
        return Interlocked.CompareExchange(ref field, created, null) ?? created;
    }
}
