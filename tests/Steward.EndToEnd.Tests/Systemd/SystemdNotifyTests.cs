using System.Runtime.InteropServices;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>
/// <c>UseSystemd()</c> at the datagram level: a real child process (tests/Steward.TestHost) told by NOTIFY_SOCKET and
/// SYSTEMD_EXEC_PID that it is a service's main process, sending to a Unix datagram socket the test owns.
/// </summary>
public sealed class SystemdNotifyTests : IDisposable
{
    // An empty working directory: the test host's content root, without the demo's appsettings.json.
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("steward-notify-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [UnixTheory]
    [InlineData(false)] // a path, as systemd gives one
    [InlineData(true)]  // an abstract name ("@..."), as systemd gives one for user services and in containers
    public async Task Ready_comes_after_the_workers_started_then_status_then_stopping(bool isAbstract)
    {
        using var socket = new NotifySocket(isAbstract);
        await using var host = Start("workers", socket);

        var ready = await socket.WaitForAsync("READY=1");
        Assert.Contains("running Ticker#0", host.Transcript, StringComparison.Ordinal); // the worker started first
        Assert.True(NotifySocket.Has(socket.Received[ready].Text, "STATUS=1 running"), socket.Log);

        host.Signal(PosixSignal.SIGTERM);
        var stopping = await socket.WaitForAsync("STOPPING=1", after: ready);

        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.True(NotifySocket.Has(socket.Received[stopping].Text, "STATUS=stopping: 1 running"), socket.Log);
        Assert.DoesNotContain(socket.Received.Take(ready), d => NotifySocket.Has(d.Text, "STOPPING=1"));
        Assert.Contains("systemd notifications on", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_status_line_follows_each_change_of_health()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var host = Start("workers", socket);
        var ready = await socket.WaitForAsync("READY=1");

        host.Signal(ChildProcess.RawSignalNumber("USR1")); // pause: the health changes to paused
        var paused = await socket.WaitForAsync("STATUS=1 paused", after: ready);
        host.Signal(ChildProcess.RawSignalNumber("USR2"));
        await socket.WaitForAsync("STATUS=1 running", after: paused);

        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task With_WATCHDOG_USEC_the_pings_come_every_half_interval()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var host = Start("workers", socket, ("WATCHDOG_USEC", "200000"));
        var ready = await socket.WaitForAsync("READY=1");
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // a window to count the pings in (what is measured here is time)

        var pings = socket.Received.Skip(ready).Where(d => NotifySocket.Has(d.Text, "WATCHDOG=1")).Select(d => d.At).ToList();
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());

        Assert.InRange(pings.Count, 6, 16); // about one every 100 ms
        var gaps = pings.Zip(pings.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToList();
        Assert.True(gaps.Average() is > 60 and < 160, $"average gap {gaps.Average():0} ms\n{socket.Log}");
    }

    [UnixFact]
    public async Task The_pings_stop_once_a_worker_stalls_past_its_StallTimeout()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var host = Start("stall", socket, [("WATCHDOG_USEC", "200000")],
            "--TestHost:StallAfter=00:00:00.300", "--Steward:Workers:Staller:StallTimeout=00:00:00.500");
        await socket.WaitForAsync("WATCHDOG=1");
        await host.ExpectLineAsync("stalling");
        await host.ExpectLineAsync("Withholding the systemd watchdog ping");
        var withheldAt = socket.Received.Count;
        await Task.Delay(TimeSpan.FromSeconds(1)); // five intervals in which a healthy service would have pinged

        Assert.DoesNotContain(socket.Received.Skip(withheldAt), d => NotifySocket.Has(d.Text, "WATCHDOG=1"));
        Assert.Contains(socket.Received, d => NotifySocket.Has(d.Text, "STATUS=1 running, 1 stalled (Staller#0)"));
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task A_slow_drain_extends_the_stop_timeout_while_it_lasts()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var host = Start("slowstop", socket, [], "--TestHost:DrainFor=00:00:02.500", "--Steward:ShutdownTimeout=00:00:10");
        var ready = await socket.WaitForAsync("READY=1");

        host.Signal(PosixSignal.SIGTERM);
        var stopping = await socket.WaitForAsync("STOPPING=1", after: ready);
        await host.ExpectLineAsync("drained");
        Assert.Equal(0, await host.WaitForExitAsync());

        var extensions = socket.Received.Skip(stopping)
            .SelectMany(d => d.Text.Split('\n'))
            .Where(l => l.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal))
            .Select(l => long.Parse(l["EXTEND_TIMEOUT_USEC=".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(extensions.Count >= 2, $"the drain took 2.5 s: expected a renewal every second\n{socket.Log}");
        Assert.All(extensions, usec => Assert.InRange(usec, 5_000_000, 15_000_000)); // what is left of 10 s, plus 5 s
        Assert.True(extensions[^1] < extensions[0], "each renewal asks for what is left");
    }

    [UnixFact]
    public async Task A_reload_signal_sends_RELOADING_with_MONOTONIC_USEC_then_READY()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var host = Start("workers", socket);
        var ready = await socket.WaitForAsync("READY=1");

        host.Signal(PosixSignal.SIGHUP);
        var reloading = await socket.WaitForAsync("RELOADING=1", after: ready);
        var readyAgain = await socket.WaitForAsync("READY=1", after: reloading);

        Assert.True(NotifySocket.Has(socket.Received[reloading].Text, "MONOTONIC_USEC="), socket.Log);
        Assert.True(readyAgain > reloading);
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task Without_NOTIFY_SOCKET_or_as_a_child_of_the_main_process_nothing_is_sent_and_nothing_fails()
    {
        using var socket = new NotifySocket(isAbstract: false);
        await using var notMain = ChildProcess.Start(TestHost, ["workers"], _workDirectory,
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socket.Address }); // no SYSTEMD_EXEC_PID
        await using var noSocket = ChildProcess.Start(TestHost, ["workers"], _workDirectory, systemdExecPid: true);
        await notMain.ExpectLineAsync("running Ticker#0");
        await noSocket.ExpectLineAsync("running Ticker#0");

        notMain.Signal(PosixSignal.SIGTERM);
        noSocket.Signal(PosixSignal.SIGTERM);

        Assert.Equal(0, await notMain.WaitForExitAsync());
        Assert.Equal(0, await noSocket.WaitForExitAsync());
        Assert.Empty(socket.Received);
        Assert.DoesNotContain("systemd notifications on", notMain.Transcript + noSocket.Transcript, StringComparison.Ordinal);
    }

    [UnixTheory]
    [InlineData("/nonexistent/steward/notify.sock")] // points nowhere
    [InlineData("/etc/hostname")]                    // not a socket
    public async Task A_NOTIFY_SOCKET_that_cannot_be_reached_is_warned_about_once_and_the_service_runs_on(string address)
    {
        await using var host = ChildProcess.Start(TestHost, ["workers"], _workDirectory,
            environment: new Dictionary<string, string> { ["NOTIFY_SOCKET"] = address, ["WATCHDOG_USEC"] = "200000" },
            systemdExecPid: true);
        await host.ExpectLineAsync("running Ticker#0");
        await Task.Delay(TimeSpan.FromSeconds(0.5)); // several watchdog pings fail meanwhile

        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(host.Transcript, "cannot be reached"));
    }

    [UnixFact]
    public async Task Under_JOURNAL_STREAM_each_log_event_is_one_line_with_its_priority_and_no_timestamp()
    {
        await using var host = ChildProcess.Start(TestHost, ["workers"], _workDirectory,
            environment: new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" });
        await host.ExpectLineAsync("running Ticker#0");
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());

        var logLines = host.Transcript.Split('\n').Where(l => l.Contains("Steward.Hosting", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(logLines);
        Assert.All(logLines, l => Assert.Matches(@"^out: <[0-7]>Steward\.Hosting\.", l)); // <6> for Information, no time
        Assert.Contains(logLines, l => l.StartsWith("out: <6>Steward.Hosting.Lifetime", StringComparison.Ordinal));
    }

    [UnixFact]
    public async Task The_demos_Serilog_output_under_JOURNAL_STREAM_is_one_line_an_event_with_its_priority()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(_workDirectory, "appsettings.json"));
        await using var demo = ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "WorkerDemo.dll"),
            ["--WorkerDemo:SensorInterval=00:00:00.020", "--WorkerDemo:FailureRate=0.2"], _workDirectory,
            environment: new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" });
        await demo.ExpectLineAsync("restarts in"); // a simulated sensor fault: a failure with its exception, then a restart
        demo.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await demo.WaitForExitAsync());

        var lines = demo.Transcript.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Matches(@"^(out|err): <[0-7]>", l)); // every line an event: exceptions folded in
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @"^out: <3>Steward\.Hosting\.Workers: Worker SensorMonitor#\d failed System\.IO\.IOException: Sensor \w+ fault \(simulated"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^out: <4>Steward\.Hosting\.Workers: Worker SensorMonitor#\d restarts in"));
    }

    private static string TestHost => Path.Combine(AppContext.BaseDirectory, "Steward.TestHost.dll");

    private ChildProcess Start(string scenario, NotifySocket socket, params (string Name, string Value)[] environment) =>
        Start(scenario, socket, environment, []);

    private ChildProcess Start(string scenario, NotifySocket socket, (string Name, string Value)[] environment, params string[] arguments)
    {
        var variables = environment.ToDictionary(e => e.Name, e => e.Value);
        variables["NOTIFY_SOCKET"] = socket.Address;
        return ChildProcess.Start(TestHost, [scenario, .. arguments], _workDirectory, variables, systemdExecPid: true);
    }
}
