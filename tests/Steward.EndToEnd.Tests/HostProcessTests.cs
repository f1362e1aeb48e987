using System.Diagnostics;
using System.Runtime.InteropServices;
using Steward.Testing;

namespace Steward.EndToEnd.Tests;

/// <summary>A real Steward host process (tests/Steward.TestHost): real signals, real exit codes, real logs.</summary>
public sealed class HostProcessTests : IDisposable
{
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("steward-host-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [UnixFact]
    public async Task Sigterm_stops_gracefully_with_exit_code_0()
    {
        await using var host = Start("workers", "--Steward:Workers:Ticker:Instances=2");
        await host.ExpectAllAsync("Application started", "running Ticker#0", "running Ticker#1");

        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Contains("state Ticker#0 Running->Stopping", host.Transcript, StringComparison.Ordinal);
        Assert.Contains("state Ticker#1 Stopping->Stopped", host.Transcript, StringComparison.Ordinal);
        Assert.Contains("Application stopped, exit code 0", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task Sigint_stops_gracefully_with_exit_code_0()
    {
        await using var host = Start("workers");
        await host.ExpectLineAsync("Application started");

        host.Signal(PosixSignal.SIGINT);

        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task Sigquit_stops_gracefully_with_exit_code_0()
    {
        await using var host = Start("workers");
        await host.ExpectAllAsync("Application started", "running Ticker#0");

        host.Signal(PosixSignal.SIGQUIT);

        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Contains("Received SIGQUIT: stopping gracefully", host.Transcript, StringComparison.Ordinal);
        Assert.Contains("state Ticker#0 Stopping->Stopped", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_second_sigquit_exits_131_at_once()
    {
        await using var host = Start("stubborn", "--Steward:ShutdownTimeout=00:01:00");
        await host.ExpectAllAsync("stubborn started", "Application started");

        host.Signal(PosixSignal.SIGQUIT);
        await host.ExpectLineAsync("Application is shutting down");
        host.Signal(PosixSignal.SIGQUIT);

        Assert.Equal(131, await host.WaitForExitAsync());
        Assert.Contains("err: Steward: received SIGQUIT again while stopping: exiting at once with code 131.", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task Pause_and_resume_signals_configured_under_Steward_Signals_are_the_ones_obeyed()
    {
        // SIGALRM by name and a number (a real-time signal on Linux), instead of SIGUSR1/SIGUSR2.
        var resume = OperatingSystem.IsLinux() ? 40 : ChildProcess.RawSignalNumber("USR1");
        await using var host = Start("workers", "--Steward:Signals:Pause=SIGALRM", $"--Steward:Signals:Resume={resume}");
        await host.ExpectAllAsync("Application started", "running Ticker#0");

        host.Signal(14);
        await host.ExpectLineAsync("Running->Paused");
        host.Signal(resume);
        await host.ExpectLineAsync("resumed Ticker#0");

        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Contains("Received SIGALRM: pause", host.Transcript, StringComparison.Ordinal); // named, not "signal 14"
        Assert.Contains($"Received {(OperatingSystem.IsLinux() ? "signal 40" : "SIGUSR1")}: resume", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_second_sigterm_exits_143_at_once_without_waiting_for_the_slow_worker()
    {
        await using var host = Start("stubborn", "--Steward:ShutdownTimeout=00:01:00");
        await host.ExpectAllAsync("stubborn started", "Application started");

        host.Signal(PosixSignal.SIGTERM);
        await host.ExpectLineAsync("Application is shutting down");
        var clock = Stopwatch.StartNew();
        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(143, await host.WaitForExitAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the forced exit took {clock.Elapsed}"); // not the 60 s timeout
        Assert.Contains("err: Steward: received SIGTERM again while stopping: exiting at once with code 143.", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_worker_ignoring_cancellation_past_the_ShutdownTimeout_exits_3_and_the_log_names_it()
    {
        await using var host = Start("stubborn", "--Steward:ShutdownTimeout=00:00:01");
        await host.ExpectAllAsync("stubborn started", "Application started");

        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(3, await host.WaitForExitAsync());
        Assert.Contains("Worker Stubborn#0 did not stop within the shutdown timeout of 00:00:01: state Stopping", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Worker Ticker#0 did not stop", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_worker_that_fails_3_times_is_restarted_with_growing_delays_then_runs()
    {
        await using var host = Start("flaky", ["--TestHost:FailTimes=3", .. Backoff("Flaky", maxRestarts: 5)]);
        await host.ExpectLineAsync("running after 3 failures");

        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(0, await host.WaitForExitAsync());
        var log = host.Transcript;
        Assert.Contains("Worker Flaky#0 restarts in 00:00:00.0500000 (restart 1 of", log, StringComparison.Ordinal);
        Assert.Contains("Worker Flaky#0 restarts in 00:00:00.1000000 (restart 2 of", log, StringComparison.Ordinal);
        Assert.Contains("Worker Flaky#0 restarts in 00:00:00.2000000 (restart 3 of", log, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task Past_MaxRestarts_the_process_exits_1()
    {
        await using var host = Start("flaky", ["--TestHost:FailTimes=-1", .. Backoff("Flaky", maxRestarts: 2)]);

        Assert.Equal(1, await host.WaitForExitAsync());
        Assert.Contains("attempt 3 failing", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt 4 failing", host.Transcript, StringComparison.Ordinal);
        Assert.Contains("Worker Flaky#0 gave up", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task Sigusr1_pauses_every_worker_at_its_checkpoint_and_sigusr2_resumes_them()
    {
        await using var host = Start("workers", "--Steward:Workers:Ticker:Instances=3");
        await host.ExpectAllAsync("Application started", "running Ticker#0", "running Ticker#1", "running Ticker#2");

        host.Signal(ChildProcess.RawSignalNumber("USR1"));
        for (var i = 0; i < 3; i++)
        {
            await host.ExpectLineAsync("Running->Paused");
        }

        await Task.Delay(300); // paused workers must not get past their checkpoints meanwhile
        host.Signal(ChildProcess.RawSignalNumber("USR2"));
        var resumed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            resumed.Add(await host.ExpectLineAsync("resumed Ticker#"));
        }

        // At most the iteration already past its checkpoint when the pause came may finish.
        Assert.All(resumed, line => Assert.Matches(@"passed-while-paused=[01]$", line));
        Assert.Equal(["Ticker#0", "Ticker#1", "Ticker#2"], resumed.Select(l => l.Split(' ')[1]).Order());
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task Sighup_reloads_the_configuration_file_for_IOptionsMonitor()
    {
        var settings = Path.Combine(_workDirectory, "appsettings.json");
        await File.WriteAllTextAsync(settings, """{ "Reload": { "Message": "before" } }""");

        // File watching off: only the signal may bring the change in.
        await using var host = Start("reload", environment: new() { ["DOTNET_hostBuilder__reloadConfigOnChange"] = "false" });
        await host.ExpectAllAsync("message=before", "Application started");
        await File.WriteAllTextAsync(settings, """{ "Reload": { "Message": "after" } }""");

        host.Signal(PosixSignal.SIGHUP);

        await host.ExpectAllAsync("message=after", "Configuration reloaded on signal SIGHUP");
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [UnixFact]
    public async Task A_reload_with_an_invalid_value_is_reported_and_the_host_keeps_running_on_the_previous_settings()
    {
        var settings = Path.Combine(_workDirectory, "appsettings.json");
        await File.WriteAllTextAsync(settings, """{ "Reload": { "Message": "before" }, "Steward": { "ShutdownTimeout": "00:00:05" } }""");
        await using var host = Start("reload", environment: new() { ["DOTNET_hostBuilder__reloadConfigOnChange"] = "false" });
        await host.ExpectAllAsync("message=before", "Application started");
        await File.WriteAllTextAsync(settings, """{ "Reload": { "Message": "after" }, "Steward": { "ShutdownTimeout": "-00:00:05" } }""");

        host.Signal(PosixSignal.SIGHUP);

        await host.ExpectAllAsync(
            "The reloaded configuration is invalid; the previous Steward settings stay in force",
            "Steward:ShutdownTimeout must be a positive duration (got '-00:00:05')",
            "message=after"); // the other options still reloaded
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());
        Assert.Contains("Application stopped, exit code 0", host.Transcript, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Steward:Workers:Ticker:Instances=0", "Steward:Workers:Ticker:Instances must be at least 1 (got 0)")]
    [InlineData("--Steward:Workers:Ticker:Restart:Policy=Sometimes", "'Sometimes' at 'Steward:Workers:Ticker:Restart:Policy'")]
    [InlineData("--Steward:ShutdownTimeout=-00:00:05", "Steward:ShutdownTimeout must be a positive duration (got '-00:00:05')")]
    [InlineData("--Steward:Workers:Tickr:Instances=2", "Steward:Workers:Tickr configures a worker that is not registered")]
    [InlineData("--Steward:Workers:Ticker:Instnces=2", "Steward:Workers:Ticker:Instnces is not a known setting; did you mean Instances?")]
    public async Task Invalid_configuration_exits_2_and_stderr_names_the_key_and_the_value(string setting, string expected)
    {
        await using var host = Start("workers", setting);

        Assert.Equal(2, await host.WaitForExitAsync());
        var errors = host.Transcript.Split('\n').Where(l => l.StartsWith("err: Invalid configuration: ", StringComparison.Ordinal));
        Assert.True(errors.Any(l => l.Contains(expected, StringComparison.Ordinal)), $"no stderr line names it:\n{host.Transcript}");
        Assert.DoesNotContain("running Ticker", host.Transcript, StringComparison.Ordinal); // nothing started
        AssertTheLogEndsWithExitCode2(host);
    }

    [UnixFact]
    public async Task An_unknown_key_exits_2_with_its_full_path_and_the_nearest_valid_key_in_one_line()
    {
        await using var host = Start("flaky", "--Steward:Workers:Flaky:Restart:MaxRestart=3");

        Assert.Equal(2, await host.WaitForExitAsync());
        var error = Assert.Single(host.Transcript.Split('\n'), l => l.StartsWith("err: ", StringComparison.Ordinal));
        Assert.Equal("err: Invalid configuration: Steward:Workers:Flaky:Restart:MaxRestart is not a known setting; did you mean MaxRestarts?", error);
        AssertTheLogEndsWithExitCode2(host);
    }

    [UnixFact]
    public async Task A_malformed_appsettings_json_exits_2_with_one_line_naming_the_file_the_line_and_the_position()
    {
        var settings = Path.Combine(_workDirectory, "appsettings.json");
        await File.WriteAllTextAsync(settings, "{\n  \"Steward\": {\n    \"ShutdownTimeout\": \"00:00:05\"\n    \"Workers\": {}\n  }\n}\n");

        await using var host = Start("workers");

        Assert.Equal(2, await host.WaitForExitAsync());
        var error = Assert.Single(host.Transcript.Split('\n'), l => l.StartsWith("err: ", StringComparison.Ordinal));
        Assert.Equal($"err: Invalid configuration: {settings} is not valid JSON at line 4, position 5: "
            + "'\"' is invalid after a value. Expected either ',', '}', or ']'.", error);
        Assert.DoesNotContain("Unhandled exception", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("running Ticker", host.Transcript, StringComparison.Ordinal);
        AssertTheLogEndsWithExitCode2(host);
    }

    [UnixFact]
    public async Task A_bad_reload_is_one_error_line_from_the_file_watcher_and_the_signal_together_and_the_last_good_options_stay()
    {
        var settings = Path.Combine(_workDirectory, "appsettings.json");
        await ReplaceAsync(settings, """{ "Reload": { "Message": "before" }, "Steward": { "ShutdownTimeout": "00:00:05" } }""");
        await using var host = Start("reload"); // the file watcher on, as by default
        await host.ExpectAllAsync("message=before", "Application started");

        // A bad value of Steward's and one of the application's own options (kept by KeepLastGood): the file watcher
        // reports each once; the signal after it reloads the same problems and reports nothing new.
        await ReplaceAsync(settings, """{ "Reload": { "Message": "invalid" }, "Steward": { "ShutdownTimeout": "-00:00:05" } }""");
        await host.ExpectAllAsync("the previous Steward settings stay in force", "the previous Reload settings stay in force");
        host.Signal(PosixSignal.SIGHUP);
        await host.ExpectLineAsync("Configuration reloaded on signal SIGHUP");

        // Then a file that does not parse: one error naming the line and position, the last good options kept.
        await ReplaceAsync(settings, "{ \"Reload\": { \"Message\": \"broken\" }\n  \"Steward\": {} }");
        await host.ExpectLineAsync("is not valid JSON at line 2, position 3");
        host.Signal(PosixSignal.SIGHUP);
        await host.ExpectLineAsync("Configuration reloaded on signal SIGHUP");

        // Fixed: the new values arrive (and no event of the earlier writes can come after this one).
        await ReplaceAsync(settings, """{ "Reload": { "Message": "fixed" }, "Steward": { "ShutdownTimeout": "00:00:05" } }""");
        await host.ExpectLineAsync("message=fixed");
        host.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await host.WaitForExitAsync());

        var lines = host.Transcript.Split('\n');
        var errors = lines.Where(l => l.StartsWith("out: fail:", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, errors.Count); // Steward's value, the application's value, the malformed file: once each
        Assert.Single(errors, l => l.EndsWith("the previous Steward settings stay in force: Steward:ShutdownTimeout must be a positive duration (got '-00:00:05').", StringComparison.Ordinal));
        Assert.Single(errors, l => l.EndsWith("the previous Reload settings stay in force: Reload:Message must not be 'invalid'", StringComparison.Ordinal));
        Assert.Single(errors, l => l.EndsWith($"the previous settings stay in force: {settings} is not valid JSON at line 2, position 3: "
            + "'\"' is invalid after a value. Expected either ',', '}', or ']'.", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"(?m)^(out|err): +at ", host.Transcript); // no stack trace
        Assert.DoesNotContain("message=invalid", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("message=broken", host.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimEnd() == "out: message="); // never emptied by the broken file
    }

    // As an editor saves: a complete new file renamed over the old, so the file watcher never reads a half-written one.
    private static async Task ReplaceAsync(string path, string contents)
    {
        var next = path + ".next";
        await File.WriteAllTextAsync(next, contents);
        File.Move(next, path, overwrite: true);
    }

    private static void AssertTheLogEndsWithExitCode2(ChildProcess host)
    {
        var logLines = host.Transcript.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("err: ", StringComparison.Ordinal)).ToList();
        Assert.EndsWith("Application stopped, exit code 2", logLines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("exit code 0", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_failing_child_of_the_host_nursery_exits_1()
    {
        await using var host = Start("nursery-fail");

        Assert.Equal(1, await host.WaitForExitAsync());
        Assert.Contains("child failing", host.Transcript, StringComparison.Ordinal);
        Assert.Contains("the poller lost its connection", host.Transcript, StringComparison.Ordinal);
    }

    [UnixFact]
    public async Task A_leaked_scope_is_reported_at_stop_with_the_file_and_line_of_its_open()
    {
        await using var host = Start("leak", "--Steward:ShutdownTimeout=00:00:01");
        await host.ExpectLineAsync("leaked a scope");

        host.Signal(PosixSignal.SIGTERM);

        Assert.Equal(0, await host.WaitForExitAsync());
        var log = host.Transcript;
        Assert.Contains("Resource leaky still had 1 open lease(s) at host stop", log, StringComparison.Ordinal);
        Assert.Contains("Workers.cs:140 ExecuteAsync", log, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "resource up"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, "resource down"));
    }

    private static string[] Backoff(string worker, int maxRestarts) =>
    [
        $"--Steward:Workers:{worker}:Restart:MaxRestarts={maxRestarts}",
        $"--Steward:Workers:{worker}:Restart:InitialBackoff=00:00:00.050",
        $"--Steward:Workers:{worker}:Restart:Jitter=0",
    ];

    private ChildProcess Start(string scenario, params string[] arguments) => Start(scenario, environment: null, arguments);

    private ChildProcess Start(string scenario, Dictionary<string, string>? environment, params string[] arguments) =>
        ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "Steward.TestHost.dll"), [scenario, .. arguments],
            workingDirectory: _workDirectory, environment: environment);
}
