using System.Diagnostics;
using System.Text;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>
/// A real systemd (the machine's /lib/systemd/systemd) booted as PID 1 of private pid, mount, cgroup, uts, ipc and network
/// namespaces, with a minimal unit set of the test's own, controlled with <c>nsenter ... systemctl</c>. Nothing it does
/// reaches the machine: /run, /var/lib, /tmp and /opt are private tmpfs mounts, and its cgroup is a child of ours,
/// removed at the end. Needs root with CAP_SYS_ADMIN and a writable cgroup2 mount (<see cref="Unavailable"/> says why
/// not, for the test to report itself skipped).
/// </summary>
internal sealed class RealSystemd : IAsyncDisposable
{
    private const string SystemdBinary = "/lib/systemd/systemd";
    private static readonly Lazy<string?> s_unavailable = new(CheckAvailable);

    private readonly string _directory;
    private readonly string _cgroup;
    private readonly Process _launcher;

    private RealSystemd(string directory, string cgroup, Process launcher, int pid)
    {
        _directory = directory;
        _cgroup = cgroup;
        _launcher = launcher;
        Pid = pid;
    }

    /// <summary>Why a real systemd cannot be booted here, or null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>systemd's pid, as this machine sees it.</summary>
    public int Pid { get; }

    /// <summary>Where the test's files are, as systemd sees them too.</summary>
    public string Directory => _directory;

    /// <summary>The child cgroup systemd runs in.</summary>
    public string Cgroup => _cgroup;

    /// <summary>
    /// Boots systemd with <paramref name="units"/> (file name → content) besides the minimal set, and
    /// <paramref name="app"/> (a folder of the test's) mounted read-only as <paramref name="appMount"/>.
    /// </summary>
    public static async Task<RealSystemd> BootAsync(IReadOnlyDictionary<string, string> units, string app, string appMount)
    {
        var directory = System.IO.Directory.CreateDirectory(Path.Combine("/tmp", $"steward-systemd-{Guid.NewGuid():N}")).FullName;
        var unitDirectory = System.IO.Directory.CreateDirectory(Path.Combine(directory, "units")).FullName;
        WriteMinimalUnits(unitDirectory);
        foreach (var (name, content) in units)
        {
            var path = Path.Combine(unitDirectory, name);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content);
        }

        // The app goes inside the test's folder, which is what stays visible once /tmp is a private tmpfs.
        var appCopy = Path.Combine(directory, "app");
        CopyDirectory(app, appCopy);
        var inner = Path.Combine(directory, "inner.sh");
        await File.WriteAllTextAsync(inner, InnerScript(directory, appMount));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(inner, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var cgroup = Path.Combine(CgroupRoot()!, $"steward-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        System.IO.Directory.CreateDirectory(cgroup);
        var start = new ProcessStartInfo("sh")
        {
            ArgumentList = { "-c", $"echo $$ > {cgroup}/cgroup.procs; exec unshare --cgroup --pid --fork --mount --mount-proc --uts --ipc --net -- {inner}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var launcher = Process.Start(start)!;
        var output = new StringBuilder();
        launcher.OutputDataReceived += (_, e) => output.AppendLine(e.Data);
        launcher.ErrorDataReceived += (_, e) => output.AppendLine(e.Data);
        launcher.BeginOutputReadLine();
        launcher.BeginErrorReadLine();

        // systemd is unshare's child (the forked PID 1 of the new pid namespace).
        var pid = 0;
        for (var i = 0; i < 100 && pid == 0; i++)
        {
            await Task.Delay(100);
            var children = await RunAsync("pgrep", ["-P", launcher.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], check: false);
            pid = int.TryParse(children.Trim().Split('\n')[0], out var child) ? child : 0;
            if (launcher.HasExited)
            {
                break;
            }
        }

        var booted = new RealSystemd(directory, cgroup, launcher, pid);
        if (pid == 0)
        {
            await booted.DisposeAsync();
            throw new InvalidOperationException($"systemd did not start: {output}");
        }

        for (var i = 0; i < 100 && !await booted.SucceedsInsideAsync("test", "-S", "/run/systemd/private"); i++)
        {
            await Task.Delay(100);
        }

        await booted.RunInsideAsync(["systemctl", "is-system-running", "--wait"], check: false);
        return booted;
    }

    /// <summary>Runs <c>systemctl <paramref name="arguments"/></c> inside; throws with its output if it fails.</summary>
    public Task<string> SystemctlAsync(params string[] arguments) => RunInsideAsync(["systemctl", .. arguments]);

    /// <summary>One property of a unit (<c>systemctl show -P</c>).</summary>
    public async Task<string> ShowAsync(string unit, string property) =>
        (await RunInsideAsync(["systemctl", "show", "-P", property, unit])).Trim();

    /// <summary>A unit's journal, message text only.</summary>
    public Task<string> JournalAsync(string unit) => RunInsideAsync(["journalctl", "--no-pager", "-o", "cat", "-u", unit], check: false);

    /// <summary>Waits until <paramref name="condition"/> holds of the unit's <paramref name="property"/>.</summary>
    public async Task<string> WaitForAsync(string unit, string property, Func<string, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var value = "";
        while (deadline.Elapsed < timeout)
        {
            value = await ShowAsync(unit, property);
            if (condition(value))
            {
                return value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{unit} {property} stayed '{value}' for {timeout}. Journal:\n{await JournalAsync(unit)}");
    }

    /// <summary>Waits until the unit's journal holds <paramref name="text"/> (journald reads a service's output
    /// asynchronously, so a line written just before a notification may land after it); returns the journal.</summary>
    public async Task<string> WaitForJournalAsync(string unit, string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var journal = "";
        while (deadline.Elapsed < timeout)
        {
            journal = await JournalAsync(unit);
            if (journal.Contains(text, StringComparison.Ordinal))
            {
                return journal;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{unit}'s journal has no '{text}' after {timeout}:\n{journal}");
    }

    /// <summary>Runs a command inside systemd's namespaces.</summary>
    public Task<string> RunInsideAsync(string[] command, bool check = true) =>
        RunAsync("nsenter", ["-t", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-a", .. command], check);

    public async ValueTask DisposeAsync()
    {
        if (Pid != 0 && !_launcher.HasExited)
        {
            await RunInsideAsync(["systemctl", "exit"], check: false);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _launcher.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                await RunAsync("kill", ["-9", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], check: false);
                await _launcher.WaitForExitAsync();
            }
        }

        _launcher.Dispose();

        // The cgroup tree, deepest first: empty once every process in it has exited.
        if (System.IO.Directory.Exists(_cgroup))
        {
            foreach (var child in System.IO.Directory.GetDirectories(_cgroup, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            {
                TryDeleteDirectory(child);
            }

            TryDeleteDirectory(_cgroup);
        }

        System.IO.Directory.Delete(_directory, recursive: true);
    }

    private async Task<bool> SucceedsInsideAsync(params string[] command)
    {
        using var process = Process.Start(new ProcessStartInfo("nsenter")
        {
            ArgumentList = { "-t", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-a" },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }.WithArguments(command))!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0;
    }

    private static async Task<string> RunAsync(string file, string[] arguments, bool check = true)
    {
        using var process = Process.Start(new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }.WithArguments(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stdout}{await stderr}");
        }

        return await stdout + await stderr;
    }

    private static void WriteMinimalUnits(string units)
    {
        const string Lib = "/lib/systemd/system";
        foreach (var unit in new[]
                 {
                     "exit.target", "systemd-exit.service", "poweroff.target", "systemd-poweroff.service", "halt.target",
                     "systemd-halt.service", "shutdown.target", "final.target", "umount.target", "sockets.target",
                     "systemd-journald.socket",
                 })
        {
            File.Copy(Path.Combine(Lib, unit), Path.Combine(units, unit));
        }

        // journald without its /dev/log socket, whose symlink would touch the machine's /dev.
        var journald = File.ReadAllLines(Path.Combine(Lib, "systemd-journald.service"))
            .Select(l => l.StartsWith("Sockets=", StringComparison.Ordinal) ? "Sockets=systemd-journald.socket" : l);
        File.WriteAllLines(Path.Combine(units, "systemd-journald.service"), journald);
        File.WriteAllText(Path.Combine(units, "sysinit.target"), "[Unit]\nDescription=sysinit (test)\nWants=systemd-journald.service\n");
        File.WriteAllText(Path.Combine(units, "basic.target"), "[Unit]\nDescription=basic (test)\nRequires=sysinit.target\nAfter=sysinit.target\n");
        File.WriteAllText(Path.Combine(units, "steward-test.target"), "[Unit]\nDescription=Steward test\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n");
        File.CreateSymbolicLink(Path.Combine(units, "default.target"), "steward-test.target");

        // Units named by the demo's unit that need not exist here.
        File.WriteAllText(Path.Combine(units, "network-online.target"), "[Unit]\nDescription=network online (test)\n");
    }

    // Runs as PID 1 of the new namespaces, then becomes systemd.
    private static string InnerScript(string directory, string appMount) => $"""
        #!/bin/bash
        set -e
        mount --make-rprivate /
        umount -R /sys/fs/cgroup
        mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
        mount -t tmpfs -o mode=755 tmpfs /run
        mount -t tmpfs -o mode=755 tmpfs /var/lib
        mkdir -p /run/lock /run/steward-test /run/systemd/journald.conf.d
        printf '[Journal]\nStorage=volatile\nReadKMsg=no\n' > /run/systemd/journald.conf.d/steward-test.conf
        mount --bind {directory} /run/steward-test
        mount -t tmpfs -o mode=1777 tmpfs /tmp
        mkdir -p {directory} && mount --move /run/steward-test {directory}
        mount -t tmpfs -o mode=755 tmpfs /opt
        mkdir -p {appMount} && mount --bind -o ro {directory}/app {appMount}
        : > {directory}/console.log
        mount --bind {directory}/console.log /dev/console
        exec env -i container=docker PATH=/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_UNIT_PATH={directory}/units \
          {SystemdBinary} --system --log-target=journal --show-status=no --unit=steward-test.target
        """;

    private static string? CgroupRoot()
    {
        foreach (var candidate in new[] { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" })
        {
            if (File.Exists(Path.Combine(candidate, "cgroup.procs")) && File.Exists(Path.Combine(candidate, "cgroup.controllers")))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? CheckAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a real systemd needs Linux";
        }

        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root")
        {
            return "booting a real systemd needs root (CAP_SYS_ADMIN)";
        }

        if (!File.Exists(SystemdBinary))
        {
            return $"{SystemdBinary} is not installed";
        }

        if (CgroupRoot() is not { } root)
        {
            return "no cgroup2 mount to create a child cgroup in";
        }

        try
        {
            var probe = Path.Combine(root, $"steward-probe-{Environment.ProcessId}");
            System.IO.Directory.CreateDirectory(probe);
            System.IO.Directory.Delete(probe);
        }
        catch (Exception ex)
        {
            return $"the cgroup2 mount {root} is not writable ({ex.Message})";
        }

        try
        {
            using var unshare = Process.Start(new ProcessStartInfo("unshare")
            {
                ArgumentList = { "--mount", "--pid", "--fork", "--cgroup", "true" },
                UseShellExecute = false,
                RedirectStandardError = true,
            })!;
            unshare.WaitForExit(10_000);
            return unshare.ExitCode == 0 ? null : $"unshare is refused here (no CAP_SYS_ADMIN?): {unshare.StandardError.ReadToEnd().Trim()}";
        }
        catch (Exception ex)
        {
            return $"unshare cannot run: {ex.Message}";
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            System.IO.Directory.Delete(path);
        }
        catch (IOException)
        {
            // Still in use: left for the kernel to report, rather than hiding it.
        }
    }
}
