using System.Globalization;
using System.Runtime;

namespace Steward.HostBench;

/// <summary>
/// What decides the memory figures besides the code: the CPU model, its last-level cache (the workstation GC sizes its
/// gen0 budget from it, so a large cache lets start-up garbage stay resident until the first collections), and the GC's
/// mode and configuration as the children run with it (same runtime configuration and environment as this process).
/// </summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = FirstValue("/proc/cpuinfo", "model name") ?? "unknown CPU";
        var l3 = ReadTrimmed("/sys/devices/system/cpu/cpu0/cache/index3/size") ?? "unknown";
        var gc = GCSettings.IsServerGC ? "server" : "workstation";
        var config = GC.GetConfigurationVariables();
        var concurrent = AppContext.TryGetSwitch("System.GC.Concurrent", out var on) ? (on ? "on" : "off") : "on (default)";
        var gen0 = config.TryGetValue("GCgen0size", out var g) && g is not 0UL and not 0L ? $", GCgen0size {g}" : "";
        var env = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is { } forced ? $" (DOTNET_GCgen0size={forced})" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{cpu}, L3 {l3}; GC {gc}, concurrent {concurrent}{gen0}{env}");
    }

    private static string? FirstValue(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private static string? ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
