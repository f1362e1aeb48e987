using System.Collections.Concurrent;

namespace Steward.Deferred;

/// <summary>
/// Turns the text the compiler gives through <c>[CallerArgumentExpression]</c> into a call's name: the method its
/// lambda invokes (<c>m =&gt; m.Update(x)</c> is <c>Update</c>, <c>m =&gt; m.Count</c> is <c>Count</c>,
/// <c>(m, cancellationToken) =&gt; m.SaveAsync(cancellationToken)</c> is <c>SaveAsync</c>). Text without <c>=&gt;</c> is an explicit name (or a method
/// group) and is used as given.
/// </summary>
/// <remarks>
/// The compiler passes the same interned string instance for every call made from one call site, so names are cached
/// by reference: one thread-local slot for the last string seen (a producer usually repeats one call), then a shared
/// dictionary compared by reference. The hot path never re-parses and never hashes the text.
/// </remarks>
internal static class CallNames
{
    /// <summary>The name of a call whose name and expression were both null.</summary>
    internal const string Unnamed = "call";

    private const int MaxCached = 4096;

    // Keys compared by reference: the compiler's expression strings are interned literals.
    private static readonly ConcurrentDictionary<string, string> s_cache = new(ReferenceEqualityComparer.Instance);
    private static int s_cached;

    [ThreadStatic]
    private static string? s_lastText;

    [ThreadStatic]
    private static string? s_lastName;

    /// <summary>The name for <paramref name="text"/>: the invoked member of a lambda's text, or the text itself.</summary>
    /// <param name="text">The caller argument expression, or an explicit name.</param>
    /// <returns>The call's name.</returns>
    internal static string Resolve(string? text)
    {
        if (text is null)
        {
            return Unnamed;
        }

        if (ReferenceEquals(text, s_lastText))
        {
            return s_lastName!;
        }

        var name = ResolveSlow(text);
        s_lastText = text;
        s_lastName = name;
        return name;
    }

    private static string ResolveSlow(string text)
    {
        if (s_cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var arrow = text.IndexOf("=>", StringComparison.Ordinal);
        if (arrow < 0)
        {
            return text; // an explicit name (or a method group): used as given, and not cached
        }

        var name = Parse(text.AsSpan(arrow + 2)) ?? text.Trim();

        // Bounded, so lambda-looking names built at run time cannot grow the cache for ever.
        if (Volatile.Read(ref s_cached) < MaxCached && s_cache.TryAdd(text, name))
        {
            Interlocked.Increment(ref s_cached);
        }

        return name;
    }

    /// <summary>
    /// The identifier before the first top-level <c>(</c> of a lambda body (skipping generic arguments), or the last
    /// top-level identifier when nothing is invoked; null if the body has no identifier at all.
    /// </summary>
    internal static string? Parse(ReadOnlySpan<char> body)
    {
        body = StripLeading(body.Trim());
        var depth = 0;
        var lastStart = -1;
        var lastLength = 0;
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i];
            if (IsIdentifierStart(c))
            {
                var start = i;
                i++;
                while (i < body.Length && IsIdentifierPart(body[i]))
                {
                    i++;
                }

                if (depth == 0)
                {
                    lastStart = start;
                    lastLength = i - start;
                }

                continue;
            }

            switch (c)
            {
                case '(':
                    if (depth == 0 && lastStart >= 0)
                    {
                        return Identifier(body, lastStart, lastLength);
                    }

                    depth++;
                    break;
                case '[' or '{' or '<':
                    depth++;
                    break;
                case ')' or ']' or '}' or '>':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '"' or '\'':
                    i = SkipLiteral(body, i);
                    continue;
            }

            i++;
        }

        return lastStart >= 0 ? Identifier(body, lastStart, lastLength) : null;
    }

    private static ReadOnlySpan<char> StripLeading(ReadOnlySpan<char> body)
    {
        while (true)
        {
            if (body.StartsWith("{"))
            {
                body = body[1..].TrimStart();
            }
            else if (TryStripKeyword(ref body, "return") || TryStripKeyword(ref body, "await"))
            {
                continue;
            }
            else
            {
                return body;
            }
        }
    }

    private static bool TryStripKeyword(ref ReadOnlySpan<char> body, string keyword)
    {
        if (!body.StartsWith(keyword, StringComparison.Ordinal) || body.Length <= keyword.Length
            || IsIdentifierPart(body[keyword.Length]))
        {
            return false;
        }

        body = body[keyword.Length..].TrimStart();
        return true;
    }

    private static int SkipLiteral(ReadOnlySpan<char> body, int open)
    {
        var quote = body[open];
        var i = open + 1;
        while (i < body.Length && body[i] != quote)
        {
            i += body[i] == '\\' ? 2 : 1;
        }

        return i + 1;
    }

    private static string Identifier(ReadOnlySpan<char> body, int start, int length)
    {
        var identifier = body.Slice(start, length);
        return (identifier[0] == '@' ? identifier[1..] : identifier).ToString();
    }

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c is '_' or '@';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_';
}
