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
    private static readonly string[] s_frameworkPrefixes =
        ["Steward.Hosting.Opened`1", "Steward.Hosting.OpenSiteCapture", "Microsoft.Extensions.", "System.", "Microsoft.AspNetCore."];

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
            var member = method[(method.LastIndexOf('.') + 1)..];
            var at = frame.LastIndexOf(" in ", StringComparison.Ordinal);
            var lineMarker = frame.LastIndexOf(":line ", StringComparison.Ordinal);
            if (at >= 0 && lineMarker > at
                && int.TryParse(frame.AsSpan(lineMarker + 6), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                return (frame[(at + 4)..lineMarker], number, member);
            }

            withoutFile ??= ("", 0, method);
        }

        return withoutFile ?? ("", 0, "(unknown caller)");
    }
}
