using System.Text.RegularExpressions;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>
/// The WorkerDemo published by deploy/publish.sh and installed with deploy/systemd/workerdemo.service (as shipped; the
/// app mounted at /opt/workerdemo, and a drop-in per test for speed or fault injection), under a real systemd booted by
/// <see cref="RealSystemd"/>.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed partial class RealSystemdTests(PublishedDemo demo) : IClassFixture<PublishedDemo>
{
    private const string Unit = "workerdemo.service";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [RealSystemdFact]
    public async Task Start_pause_resume_reload_and_stop_under_systemd_keep_every_reading()
    {
        await using var systemd = await BootAsync("""
            [Service]
            Environment=WorkerDemo__SensorInterval=00:00:00.050 WorkerDemo__ReportInterval=00:00:00.500
            """);

        await systemd.SystemctlAsync("start", Unit); // returns once Steward sent READY=1
        Assert.Equal("active", await systemd.ShowAsync(Unit, "ActiveState"));
        Assert.Equal("running", await systemd.ShowAsync(Unit, "SubState"));
        Assert.Equal("5 running", await systemd.ShowAsync(Unit, "StatusText")); // 3 monitors, the writer, the reporter

        await systemd.SystemctlAsync("kill", "-s", "SIGUSR1", Unit);
        await systemd.WaitForAsync(Unit, "StatusText", s => s == "5 paused", s_timeout);
        await systemd.SystemctlAsync("kill", "-s", "SIGUSR2", Unit);
        await systemd.WaitForAsync(Unit, "StatusText", s => s == "5 running", s_timeout);

        // ExecReload sends SIGHUP and returns at once: systemctl can return while the unit is still "reloading", until
        // Steward's READY=1 follows its RELOADING=1.
        await systemd.SystemctlAsync("reload", Unit);
        await systemd.WaitForAsync(Unit, "ActiveState", s => s == "active", s_timeout);
        await systemd.WaitForJournalAsync(Unit, "Configuration reloaded on signal SIGHUP", s_timeout);

        await systemd.SystemctlAsync("stop", Unit);
        Assert.Equal("success", await systemd.ShowAsync(Unit, "Result"));
        Assert.Equal("0", await systemd.ShowAsync(Unit, "ExecMainStatus"));
        Assert.Equal("0", await systemd.ShowAsync(Unit, "NRestarts"));

        // Every reading the demo says it stored is in the SQLite file under the StateDirectory, where DynamicUser keeps it.
        var journal = await systemd.JournalAsync(Unit);
        var stored = ClosedLine().Match(journal);
        Assert.True(stored.Success, journal);
        var rows = await systemd.RunInsideAsync(["sqlite3", "/var/lib/private/workerdemo/readings.db", "SELECT COUNT(*) FROM readings"]);
        Assert.Equal(stored.Groups["stored"].Value, rows.Trim());
        Assert.True(long.Parse(rows, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Matches(@"(?m)^Started|Steward.Hosting.Workers: Started 2 instances", journal); // one line an event, no timestamps of its own
    }

    [RealSystemdFact]
    public async Task A_stalled_worker_stops_the_watchdog_pings_and_systemd_restarts_the_service()
    {
        await using var systemd = await BootAsync("""
            [Service]
            WatchdogSec=2
            Environment=WorkerDemo__SensorInterval=00:00:00.050 WorkerDemo__StallAfter=00:00:01 Steward__Workers__SensorMonitor__StallTimeout=00:00:01
            """);

        await systemd.SystemctlAsync("start", Unit);
        await systemd.WaitForAsync(Unit, "NRestarts", n => n != "0", s_timeout);

        var journal = await systemd.JournalAsync(Unit);
        Assert.Contains("Withholding the systemd watchdog ping", journal, StringComparison.Ordinal);
        Assert.Contains("Watchdog timeout", journal, StringComparison.Ordinal);
        Assert.Contains("Failed with result 'watchdog'", journal, StringComparison.Ordinal);
        await systemd.SystemctlAsync("stop", Unit);
    }

    [RealSystemdFact]
    public async Task A_worker_that_gives_up_exits_1_and_systemd_restarts_the_service()
    {
        await using var systemd = await BootAsync("""
            [Service]
            Environment=WorkerDemo__FailureRate=1 Steward__Workers__SensorMonitor__Restart__MaxRestarts=0
            """);

        await systemd.SystemctlAsync("start", "--no-block", Unit);
        await systemd.WaitForAsync(Unit, "NRestarts", n => n != "0", s_timeout);

        var journal = await systemd.JournalAsync(Unit);
        Assert.Contains("gave up", journal, StringComparison.Ordinal);
        Assert.Contains("status=1/FAILURE", journal, StringComparison.Ordinal);
        await systemd.SystemctlAsync("stop", Unit);
    }

    [RealSystemdFact]
    public async Task An_invalid_configuration_exits_2_and_systemd_does_not_restart_it()
    {
        await using var systemd = await BootAsync("""
            [Service]
            Environment=WorkerDemo__SensorInterval=-00:00:01
            """);

        await systemd.SystemctlAsync("start", "--no-block", Unit);
        await systemd.WaitForAsync(Unit, "ActiveState", s => s == "failed", s_timeout);
        await Task.Delay(TimeSpan.FromSeconds(3)); // past RestartSec=2: a restart would have begun by now

        Assert.Equal("2", await systemd.ShowAsync(Unit, "ExecMainStatus"));
        Assert.Equal("0", await systemd.ShowAsync(Unit, "NRestarts"));
        Assert.Equal("failed", await systemd.ShowAsync(Unit, "ActiveState"));
        Assert.Contains("WorkerDemo:SensorInterval", await systemd.JournalAsync(Unit), StringComparison.Ordinal);
    }

    [RealSystemdFact]
    public async Task The_harness_leaves_no_process_mount_cgroup_or_file_behind()
    {
        var systemd = await BootAsync("[Service]\n");
        await systemd.SystemctlAsync("start", "--no-block", Unit);
        var (pid, cgroup, directory) = (systemd.Pid, systemd.Cgroup, systemd.Directory);
        Assert.True(System.IO.Directory.Exists(cgroup));

        await systemd.DisposeAsync();

        Assert.False(System.IO.Directory.Exists(cgroup), "the cgroup is removed");
        Assert.False(System.IO.Directory.Exists(directory), "the test's folder is removed");
        Assert.False(File.Exists($"/proc/{pid}/status"), "systemd has exited");
        Assert.DoesNotContain(directory, await File.ReadAllTextAsync("/proc/self/mountinfo"), StringComparison.Ordinal);
    }

    private Task<RealSystemd> BootAsync(string dropIn) =>
        RealSystemd.BootAsync(
            new Dictionary<string, string>
            {
                [Unit] = File.ReadAllText(Path.Combine(PublishedDemo.RepositoryRoot, "deploy", "systemd", Unit)),
                [$"{Unit}.d/test.conf"] = dropIn + "\n",
            },
            demo.Directory,
            "/opt/workerdemo");

    [GeneratedRegex(@"Closed the readings database .*: (?<written>\d+) readings written this run, (?<stored>\d+) stored in all")]
    private static partial Regex ClosedLine();
}
