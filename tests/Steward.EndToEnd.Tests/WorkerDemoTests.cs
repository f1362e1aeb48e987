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

    [UnixFact]
    public Task Ctrl_C_stops_it_gracefully_after_both_workers_shared_the_database() => StopsGracefullyOn(PosixSignal.SIGINT);

    [UnixFact]
    public Task Sigterm_stops_it_gracefully_after_both_workers_shared_the_database() => StopsGracefullyOn(PosixSignal.SIGTERM);

    [Fact]
    public async Task Invalid_configuration_exits_2_naming_the_key_and_the_value()
    {
        await using var demo = StartDemo("--WorkerDemo:SensorInterval=-00:00:01", "--WorkerDemo:ReportInterval=soon");

        var exitCode = await demo.WaitForExitAsync();

        Assert.True(exitCode == 2, demo.Transcript);
        Assert.Contains("WorkerDemo:ReportInterval", demo.Transcript, StringComparison.Ordinal);
        Assert.Contains("soon", demo.Transcript, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath), "nothing may start with a bad configuration");
    }

    [Fact]
    public void The_README_shows_the_demo_Program_cs_as_it_is()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hosting.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var readme = File.ReadAllText(Path.Combine(root.FullName, "README.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root.FullName, "samples", "WorkerDemo", "Program.cs")).ReplaceLineEndings("\n");
        const string Marker = "This is `samples/WorkerDemo/Program.cs`, whole (a test keeps the two identical):\n\n```csharp\n";
        var start = readme.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the README no longer introduces the demo's Program.cs");
        start += Marker.Length;
        var shown = readme[start..readme.IndexOf("```\n", start, StringComparison.Ordinal)];

        Assert.Equal(program, shown);
    }

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);

    private string DatabasePath => Path.Combine(_contentRoot, "data", "readings.db");

    private async Task StopsGracefullyOn(PosixSignal signal)
    {
        await using var demo = StartDemo("--WorkerDemo:SensorInterval=00:00:00.020", "--WorkerDemo:ReportInterval=00:00:00.300");
        await demo.ExpectLineAsync("Opened the readings database");
        await demo.ExpectLineAsync("Report:"); // the reporter read what the monitor wrote

        demo.Signal(signal);

        Assert.True(await demo.WaitForExitAsync() == 0, demo.Transcript);
        var log = demo.Transcript;
        Assert.Contains("SensorMonitor#0 stopped after", log, StringComparison.Ordinal);
        Assert.Contains("ReadingsReporter#0 stopped after", log, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(log, "Opened the readings database")); // opened exactly once...
        Assert.Single(ClosedLine().Matches(log));                          // ...and closed exactly once
        Assert.DoesNotContain("open lease(s) at host stop", log, StringComparison.Ordinal); // no scope leaked
        Assert.True(log.IndexOf("SensorMonitor#0 stopped after", StringComparison.Ordinal)
                    < log.IndexOf("Closed the readings database", StringComparison.Ordinal)); // closed after the workers let go
        var written = long.Parse(ClosedLine().Match(log).Groups["written"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(written > 0);

        // The file is real, in WAL mode, closed cleanly (no WAL left behind) and holds what the log says it wrote.
        Assert.False(File.Exists(DatabasePath + "-wal"), "the final close should have checkpointed and removed the WAL");
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await query.ExecuteScalarAsync());
        query.CommandText = "SELECT COUNT(*) FROM readings";
        Assert.Equal(written, (long)(await query.ExecuteScalarAsync())!);
    }

    private ChildProcess StartDemo(params string[] arguments) =>
        ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "WorkerDemo.dll"), arguments, workingDirectory: _contentRoot);

    [GeneratedRegex(@"Closed the readings database .*: (?<written>\d+) readings written this run")]
    private static partial Regex ClosedLine();
}
