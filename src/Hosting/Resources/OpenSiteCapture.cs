using System.Diagnostics;
using System.Globalization;

namespace Steward.Hosting;

/// <summary>
/// Finds the user's call site on the current stack: the first frame outside <see cref="Opened{T}"/>, Microsoft.Extensions
/// (dependency injection) and System,
/// read from the stack trace's text (so it stays trimming-safe). Costs a stack walk: used once per DI scope lease.
/// </summary>
internal static class OpenSiteCapture
{
    // Set by a worker's supervisor while it creates the worker: a lease injected into a worker's constructor has no user
    // frame on the stack (Steward builds the worker), so it is attributed to the worker instead.
    private static readonly AsyncLocal<string?> s_hint = new();

    private static readonly string[] s_frameworkPrefixes =
        ["Steward.Hosting.Opened`1", "Steward.Hosting.OpenSiteCapture", "Steward.Hosting.WorkerSupervisor",
         "Microsoft.Extensions.", "System.", "Microsoft.AspNetCore."];

    /// <summary>Names the caller for leases created inside <paramref name="build"/> that have no user frame.</summary>
    public static T WithHint<T>(string hint, Func<T> build)
    {
        var previous = s_hint.Value;
        s_hint.Value = hint;
        try
        {
            return build();
        }
        finally
        {
            s_hint.Value = previous;
        }
    }

    public static (string File, int Line, string Member) FromStack()
    {
        var trace = new StackTrace(2, fNeedFileInfo: true).ToString();
        (string File, int Line, string Member)? withoutFile = null;
        foreach (var raw in trace.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("at ", StringComparison.Ordinal))
            {
                continue;
            }

            var frame = line[3..];
            if (Array.Exists(s_frameworkPrefixes, p => frame.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            var method = frame.Split('(')[0];
            var member = MemberName(method);
            var at = frame.LastIndexOf(" in ", StringComparison.Ordinal);
            var lineMarker = frame.LastIndexOf(":line ", StringComparison.Ordinal);
            if (at >= 0 && lineMarker > at
                && int.TryParse(frame.AsSpan(lineMarker + 6), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                return (frame[(at + 4)..lineMarker], number, member);
            }

            withoutFile ??= ("", 0, method);
        }

        return s_hint.Value is { } hint ? ("", 0, hint) : withoutFile ?? ("", 0, "(unknown caller)");
    }

    /// <summary>
    /// The user's name for a frame's method: "Type.Method" gives "Method"; the compiler's "Type.&lt;Method&gt;d__3.MoveNext"
    /// (an async or iterator state machine the runtime did not resolve) and "Type.&lt;Method&gt;b__0_1" (a lambda) give
    /// "Method".
    /// </summary>
    internal static string MemberName(string method)
    {
        var last = method[(method.LastIndexOf('.') + 1)..];
        if (last is "MoveNext" && method.Length > last.Length + 1)
        {
            var owner = method[..^(last.Length + 1)];
            last = owner[(owner.LastIndexOf('.') + 1)..];
        }

        // "<Method>d__3", "<Method>b__0_1", "<Method>g__Local|0_0": the name between the angle brackets.
        if (last.StartsWith('<') && last.IndexOf('>', StringComparison.Ordinal) is var close and > 1)
        {
            return last[1..close];
        }

        return last;
    }
}
