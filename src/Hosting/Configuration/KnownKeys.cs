using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Steward.Hosting;

/// <summary>
/// Finds configuration keys that bind to nothing: a key under a section whose options type has no property of that name
/// (case-insensitive, as the binder matches; <see cref="ConfigurationKeyNameAttribute"/> honoured), at any depth,
/// through nested objects, dictionaries and lists. Each problem names the key's full path and, when one is close, the
/// property meant: "Steward:Workers:Flaky:Restart:MaxRestart is not a known setting; did you mean MaxRestarts?".
/// </summary>
internal static class KnownKeys
{
    /// <summary>The problems under <paramref name="section"/>, which binds to <paramref name="type"/>.</summary>
    [RequiresUnreferencedCode("Reads the public properties of the options type and of the types they hold, as the reflection-based configuration binder does.")]
    public static List<string> Check(IConfigurationSection section, Type type)
    {
        var problems = new List<string>();
        CheckValue(section, type, problems);
        return problems;
    }

    [RequiresUnreferencedCode("Reads public properties of types found through other types' properties.")]
    private static void CheckValue(IConfigurationSection section, Type type, List<string> problems)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type) || type == typeof(object) || type.IsInterface && ItemType(type) is null)
        {
            return; // no keys below a value (and nothing to check them against below object or an unknown interface)
        }

        if (ItemType(type) is { } itemType)
        {
            foreach (var item in section.GetChildren()) // dictionary keys and list indexes are data, not settings
            {
                CheckValue(item, itemType, problems);
            }

            return;
        }

        var properties = Properties(type);
        foreach (var child in section.GetChildren())
        {
            if (properties.TryGetValue(child.Key, out var property))
            {
                CheckValue(child, property, problems);
            }
            else
            {
                problems.Add(Unknown(child, properties.Keys));
            }
        }
    }

    private static string Unknown(IConfigurationSection key, IEnumerable<string> known)
    {
        var names = known.Order(StringComparer.Ordinal).ToList();
        var nearest = Nearest(key.Key, names);
        return nearest is not null
            ? $"{key.Path} is not a known setting; did you mean {nearest}?"
            : $"{key.Path} is not a known setting (known here: {(names.Count == 0 ? "none" : string.Join(", ", names))}).";
    }

    /// <summary>The name within a small edit distance of <paramref name="key"/> (about one edit in four characters, at
    /// least one and at most three), the closest first; null when none is that close.</summary>
    internal static string? Nearest(string key, IEnumerable<string> names)
    {
        var limit = Math.Clamp(key.Length / 4, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in names)
        {
            var distance = Distance(key, name);
            if (distance <= limit && distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        return best;
    }

    /// <summary>Case-insensitive optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    // What the binder converts from one string: primitives, enums, strings and the BCL's other value types.
    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly)
        || type == typeof(Guid) || type == typeof(Uri) || type == typeof(Version) || type == typeof(byte[])
        || type == typeof(Half) || type == typeof(Int128) || type == typeof(UInt128) || type == typeof(CultureInfo);

    /// <summary>The value type of a dictionary, or the element type of an array or list; null for anything else.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Collection interfaces are kept on bound types.")]
    private static Type? ItemType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        Type[] interfaces = type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
        foreach (var candidate in interfaces.Where(i => i.IsGenericType))
        {
            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                return candidate.GetGenericArguments()[1];
            }
        }

        return interfaces.FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0] ?? typeof(object);
    }

    [RequiresUnreferencedCode("Reads the type's public properties.")]
    private static Dictionary<string, Type> Properties(Type type)
    {
        var properties = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }

            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
            properties.TryAdd(name, property.PropertyType);
        }

        return properties;
    }
}
