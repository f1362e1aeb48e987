using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Steward.HostBench;

/// <summary>
/// Starts the bench host as child processes, alternating Steward and plain for every worker count, and reports the
/// medians of start-to-ready, SIGTERM-to-exit, idle RSS and peak RSS, with the Steward/plain ratios. Idle RSS is the
/// child's VmRSS 2 s after it is ready; peak RSS is the child's VmHWM over its whole life, which the child prints as the
/// last thing before it exits, after its host stopped (so it covers start-up, the idle run and the stop).
/// </summary>
internal static partial class Driver
{
    private const int SigTerm = 15;

    public static async Task<int> RunAsync(string[] args)
    {
        var workerCounts = Option(args, "--workers", "100,1000,10000").Split(',').Select(int.Parse).ToArray();
        var rounds = int.Parse(Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        var output = Option(args, "--output", "");
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Host bench: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {rounds} rounds per mode (medians), alternating modes.");
        report.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Describe()}");
        report.AppendLine();
        report.AppendLine("| workers | metric | plain BackgroundService | Steward | ratio |");
        report.AppendLine("|---:|---|---:|---:|---:|");
        foreach (var workers in workerCounts)
        {
            var results = new Dictionary<string, List<Sample>> { ["plain"] = [], ["steward"] = [] };
            await MeasureAsync("plain", workers); // warm the disk cache and the JIT's profile: not counted
            for (var round = 0; round < rounds; round++)
            {
                foreach (var mode in round % 2 == 0 ? new[] { "plain", "steward" } : ["steward", "plain"])
                {
                    results[mode].Add(await MeasureAsync(mode, workers));
                }
            }

            Row(report, workers, "start to ready (ms)", results, s => s.ReadyMs);
            Row(report, workers, "SIGTERM to exit (ms)", results, s => s.StopMs);
            Row(report, workers, "idle RSS (MiB)", results, s => s.IdleRssMiB);
            Row(report, workers, "peak RSS, whole life (MiB)", results, s => s.PeakRssMiB);
            Row(report, workers, "allocated, start to ready (MiB)", results, s => s.StartAllocatedMiB);
            Row(report, workers, "allocated, 2 s idle (MiB)", results, s => s.IdleAllocatedMiB);
            Console.Error.WriteLine($"done: {workers} workers");
        }

        Console.Write(report);
        if (output.Length > 0)
        {
            await File.WriteAllTextAsync(output, report.ToString());
        }

        return 0;
    }

    private static async Task<Sample> MeasureAsync(string mode, int workers)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(), // an empty content root: no appsettings.json of the repository
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Driver).Assembly.Location);
        }

        foreach (var argument in new[] { "--child", mode, workers.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        var line = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException($"{mode} host ended early");
        var readyMs = double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        var readyBytes = long.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture);

        await Task.Delay(TimeSpan.FromSeconds(2)); // idle: every worker is in its sleep
        var rssKiB = ReadRssKiB(child.Id);

        var clock = Stopwatch.StartNew();
        _ = Kill(child.Id, SigTerm);
        await child.WaitForExitAsync();
        var stopMs = clock.Elapsed.TotalMilliseconds;
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{mode} host with {workers} workers exited {child.ExitCode}");
        }

        // The child's last line: its high-water mark over its whole life, read after its host stopped.
        var rest = await child.StandardOutput.ReadToEndAsync();
        var peakLine = rest.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith("PEAK ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{mode} host with {workers} workers printed no PEAK line");
        var peakKiB = long.Parse(peakLine.AsSpan(5), CultureInfo.InvariantCulture);
        var stoppingLine = rest.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).First(l => l.StartsWith("STOPPING ", StringComparison.Ordinal));
        var stoppingBytes = long.Parse(stoppingLine.AsSpan(9), CultureInfo.InvariantCulture);

        return new Sample(readyMs, stopMs, rssKiB / 1024.0, peakKiB / 1024.0, readyBytes / 1048576.0, (stoppingBytes - readyBytes) / 1048576.0);
    }

    private static long ReadRssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"No VmRSS line in /proc/{pid}/status.");
    }

    private static void Row(StringBuilder report, int workers, string metric, Dictionary<string, List<Sample>> results, Func<Sample, double> value)
    {
        var plain = Median(results["plain"].Select(value));
        var steward = Median(results["steward"].Select(value));
        report.AppendLine(CultureInfo.InvariantCulture, $"| {workers:N0} | {metric} | {plain:F1} | {steward:F1} | {steward / plain:F2} |");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed record Sample(double ReadyMs, double StopMs, double IdleRssMiB, double PeakRssMiB, double StartAllocatedMiB, double IdleAllocatedMiB);
}
