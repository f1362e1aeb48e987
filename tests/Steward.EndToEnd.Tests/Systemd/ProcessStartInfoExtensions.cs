using System.Diagnostics;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>Argument lists for <see cref="ProcessStartInfo"/>.</summary>
internal static class ProcessStartInfoExtensions
{
    public static ProcessStartInfo WithArguments(this ProcessStartInfo start, IEnumerable<string> arguments)
    {
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
