using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Steward.Testing;

namespace Steward.EndToEnd.Tests;

/// <summary>The README's main job, samples/WorkerDemo, run as a real process against a real SQLite file.</summary>
public sealed partial class WorkerDemoTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("steward-demo-").FullName;

    public WorkerDemoTests()
    {
        // The demo's content root is its working directory: give it the repository's appsettings.json there.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(_contentRoot, "appsettings.json"));
    }

    // Monitors producing at full rate: four sensors, a reading a millisecond each, flushed every 50 ms.
    private static readonly string[] s_fullRate =
    [
        "--Steward:Workers:SensorMonitor:Instances=4", "--WorkerDemo:SensorInterval=00:00:00.001",
        "--WorkerDemo:FlushInterval=00:00:00.050", "--WorkerDemo:ReportInterval=00:00:00.300", "--WorkerDemo:DisconnectEvery=500",
    ];

    [UnixFact]
    public Task Sigterm_at_full_rate_loses_nothing_accepted_and_the_next_run_continues_from_the_stored_total() =>
        NothingIsLostOn(PosixSignal.SIGTERM);

    [UnixFact]
    public Task Ctrl_C_at_full_rate_loses_nothing_accepted_and_the_next_run_continues_from_the_stored_total() =>
        NothingIsLostOn(PosixSignal.SIGINT);

    [UnixFact]
    public async Task A_stop_during_a_Reporter_snapshot_loses_nothing_accepted()
    {
        await using var demo = StartDemo([.. s_fullRate, "--WorkerDemo:SnapshotDelay=00:00:01",
            "--Serilog:MinimumLevel:Override:WorkerDemo.Reporter=Debug"]);
        await demo.ExpectLineAsync("Asking the ingest manager for a snapshot"); // the snapshot now holds the writer for 1 s

        demo.Signal(PosixSignal.SIGTERM);

        Assert.True(await demo.WaitForExitAsync() == 0, demo.Transcript);
        var summary = Summary(demo.Transcript);
        Assert.True(summary.Accepted > 0);
        Assert.Equal(summary.Accepted, summary.Stored);
        Assert.Equal(summary.Total, await CountRowsAsync());
    }

    [UnixFact]
    public async Task SIGUSR1_stops_the_rows_growing_and_SIGUSR2_makes_them_grow_again()
    {
        await using var demo = StartDemo(s_fullRate);
        await demo.ExpectLineAsync("Report:");
        await WaitForRowsAsync(n => n > 0);

        demo.Signal(ChildProcess.RawSignalNumber("USR1"));
        await demo.ExpectLineAsync("Paused all");
        await Task.Delay(TimeSpan.FromMilliseconds(600)); // a flush under way when the pause came may still complete
        var paused = await CountRowsAsync();
        await Task.Delay(TimeSpan.FromSeconds(1)); // twenty flush intervals in which a running writer would have stored more
        Assert.Equal(paused, await CountRowsAsync());

        demo.Signal(ChildProcess.RawSignalNumber("USR2"));
        await demo.ExpectLineAsync("Resumed all");
        await WaitForRowsAsync(n => n > paused);

        demo.Signal(PosixSignal.SIGTERM);
        Assert.True(await demo.WaitForExitAsync() == 0, demo.Transcript);
    }

    [UnixFact]
    public async Task With_a_FailureRate_monitors_crash_and_are_restarted()
    {
        await using var demo = StartDemo([.. s_fullRate, "--WorkerDemo:FailureRate=0.01",
            "--Steward:Workers:SensorMonitor:Restart:InitialBackoff=00:00:00.050", "--Steward:Workers:SensorMonitor:Restart:MaxRestarts=1000"]);
        await demo.ExpectLineAsync("Sensor"); // a simulated fault...
        await demo.ExpectLineAsync("restarts in"); // ...and its restart
        while (!ReportWithRestarts().IsMatch(await demo.ExpectLineAsync("Report:")))
        {
            // the reporter's line, from the controller's statuses, counts the restarts once there were some
        }

        demo.Signal(PosixSignal.SIGTERM);

        Assert.True(await demo.WaitForExitAsync() == 0, demo.Transcript);
        var summary = Summary(demo.Transcript);
        Assert.Equal(summary.Accepted, summary.Stored); // crashes lose nothing either
        Assert.Equal(summary.Total, await CountRowsAsync());
    }

    [UnixFact]
    public async Task With_MaxRestarts_0_a_failing_monitor_gives_up_and_the_demo_exits_1()
    {
        await using var demo = StartDemo([.. s_fullRate, "--WorkerDemo:FailureRate=1", "--Steward:Workers:SensorMonitor:Restart:MaxRestarts=0"]);

        Assert.True(await demo.WaitForExitAsync() == 1, demo.Transcript);
        Assert.Contains("gave up", demo.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_configuration_exits_2_naming_the_key_and_the_value()
    {
        await using var demo = StartDemo(["--WorkerDemo:SensorInterval=-00:00:01", "--WorkerDemo:ReportInterval=soon"]);

        var exitCode = await demo.WaitForExitAsync();

        Assert.True(exitCode == 2, demo.Transcript);
        Assert.Contains("WorkerDemo:ReportInterval", demo.Transcript, StringComparison.Ordinal);
        Assert.Contains("soon", demo.Transcript, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath), "nothing may start with a bad configuration");
    }

    [Fact]
    public async Task A_misspelt_key_of_the_demos_own_settings_is_one_line_with_the_nearest_name_and_no_stack_trace()
    {
        await using var demo = StartDemo(["--WorkerDemo:SensorIntervall=00:00:01"]);

        Assert.True(await demo.WaitForExitAsync() == 2, demo.Transcript);
        var lines = demo.Transcript.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("err: Invalid configuration: WorkerDemo:SensorIntervall is not a known setting; did you mean SensorInterval?",
            Assert.Single(lines, l => l.StartsWith("err: ", StringComparison.Ordinal)));
        Assert.DoesNotMatch(@"(?m)^(out|err): +at ", demo.Transcript);           // no stack trace, from the host or anyone
        Assert.DoesNotContain("Hosting failed to start", demo.Transcript, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.EndsWith("Application stopped, exit code 2", StringComparison.Ordinal));
        Assert.False(File.Exists(DatabasePath), "nothing may start with a bad configuration");
    }

    [Fact]
    public void The_README_shows_the_demo_Program_cs_as_it_is()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(Repository.Root, "samples", "WorkerDemo", "Program.cs")).ReplaceLineEndings("\n");
        const string Marker = "This is `samples/WorkerDemo/Program.cs`, whole (a test keeps the two identical):\n\n```csharp file=samples/WorkerDemo/Program.cs\n";
        var start = readme.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the README no longer introduces the demo's Program.cs");
        start += Marker.Length;
        var shown = readme[start..readme.IndexOf("```\n", start, StringComparison.Ordinal)];

        Assert.Equal(program, shown);
    }

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);

    private string DatabasePath => Path.Combine(_contentRoot, "data", "readings.db");

    private async Task NothingIsLostOn(PosixSignal signal)
    {
        long firstTotal;
        await using (var first = StartDemo(s_fullRate))
        {
            await first.ExpectLineAsync("Report:");
            await WaitForRowsAsync(n => n > 200); // producing at full rate
            first.Signal(signal);

            Assert.True(await first.WaitForExitAsync() == 0, first.Transcript);
            var summary = Summary(first.Transcript);
            Assert.Equal(summary.Accepted, summary.Stored);
            Assert.Equal(0, summary.Lost);
            Assert.Equal(summary.Accepted, summary.Total); // a fresh database
            Assert.Equal(summary.Total, await CountRowsAsync());
            Assert.Single(Regex.Matches(first.Transcript, "Opened the readings database")); // opened exactly once...
            Assert.Single(Regex.Matches(first.Transcript, "Closed the readings database")); // ...and closed exactly once
            Assert.DoesNotContain("open lease(s) at host stop", first.Transcript, StringComparison.Ordinal);
            firstTotal = summary.Total;
        }

        await using var second = StartDemo([.. s_fullRate, "--WorkerDemo:RunFor=00:00:01"]);
        Assert.True(await second.WaitForExitAsync() == 0, second.Transcript);
        var again = Summary(second.Transcript);
        Assert.Contains($"(WAL mode, {firstTotal} readings stored)", second.Transcript, StringComparison.Ordinal);
        Assert.Equal(firstTotal + again.Accepted, again.Total);
        Assert.False(File.Exists(DatabasePath + "-wal"), "the final close checkpoints and removes the write-ahead log");
        Assert.Equal(again.Total, await CountRowsAsync());
    }

    private static (long Accepted, long Stored, long Total, long Lost) Summary(string transcript)
    {
        var match = SummaryLine().Match(transcript);
        Assert.True(match.Success, $"no ingest summary:\n{transcript}");
        long Value(string name) => long.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture);
        return (Value("accepted"), Value("stored"), Value("total"), Value("lost"));
    }

    private async Task<long> CountRowsAsync()
    {
        // Read-only and unpooled: a second reader beside the demo's connection (WAL mode allows it).
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM readings";
        return (long)(await query.ExecuteScalarAsync())!;
    }

    private async Task WaitForRowsAsync(Func<long, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (File.Exists(DatabasePath) && condition(await CountRowsAsync()))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the row count did not get there within 60 s");
            await Task.Delay(50);
        }
    }

    private ChildProcess StartDemo(string[] arguments) =>
        ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "WorkerDemo.dll"), arguments, workingDirectory: _contentRoot);

    [GeneratedRegex(@"workers: [^;]*; [1-9]\d* restarts")]
    private static partial Regex ReportWithRestarts();

    [GeneratedRegex(@"Ingest summary: (?<accepted>\d+) readings accepted this run, (?<stored>\d+) stored, (?<total>\d+) in the database, (?<lost>\d+) lost")]
    private static partial Regex SummaryLine();
}
