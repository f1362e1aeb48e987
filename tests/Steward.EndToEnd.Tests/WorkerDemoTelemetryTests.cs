using System.Diagnostics;
using System.Runtime.InteropServices;
using Steward.EndToEnd.Tests.Otlp;
using Steward.Testing;

namespace Steward.EndToEnd.Tests;

/// <summary>
/// The demo exporting to a real OTLP/HTTP receiver: what the exporter really sent, decoded from protobuf, after a SIGTERM.
/// </summary>
public sealed class WorkerDemoTelemetryTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("steward-otel-").FullName;

    public WorkerDemoTelemetryTests() =>
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(_contentRoot, "appsettings.json"));

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);

    [UnixFact]
    public async Task A_SIGTERM_is_exported_whole_worker_runs_their_last_transitions_and_the_stop_with_its_stages()
    {
        await using var receiver = new OtlpReceiver();
        await using var demo = StartDemo(receiver.Endpoint);
        await demo.ExpectLineAsync("Report:"); // running: both workers have done something

        demo.Signal(PosixSignal.SIGTERM);

        Assert.True(await demo.WaitForExitAsync() == 0, demo.Transcript);
        var spans = receiver.Spans;
        Assert.NotEmpty(spans);
        Assert.All(spans.Where(s => s.Scope == "Steward"), s => Assert.Equal(32, s.TraceId.Length));

        // One run per worker instance, each with its transitions, the last two recorded during the shutdown.
        foreach (var (worker, instances) in new[] { ("SensorMonitor", 3), ("IngestWriter", 1), ("Reporter", 1) })
        {
            var runs = spans.Where(s => s.Name == "steward.worker.run" && Equals(s.Attributes["steward.worker.name"], worker)).ToList();
            Assert.Equal(instances, runs.Count);
            Assert.Equal(Enumerable.Range(0, instances).Select(i => (long)i), runs.Select(r => (long)r.Attributes["steward.worker.instance"]!).Order());
            foreach (var run in runs)
            {
                var transitions = run.Events.Where(e => e.Name == "steward.runstate.transition")
                    .Select(e => $"{e.Attributes["steward.runstate.from"]}->{e.Attributes["steward.runstate.to"]}").ToList();
                Assert.Equal(["idle->running", "running->stopping", "stopping->stopped"], transitions);
                Assert.Equal("", run.ParentSpanId); // the root of a trace of its own
            }
        }

        // The stop: one span whose events mark each stage, in order, ending with the exit code; it ends after the runs.
        var stop = Assert.Single(spans, s => s.Name == "steward.host.stop");
        Assert.Equal(
            ["stopping", "workers drained", "tasklets drained", "nursery closed", "deferred calls drained", "resources closed", "exit code"],
            stop.Events.Select(e => e.Name).ToArray());
        Assert.Equal("ingest", stop.Events.Single(e => e.Name == "deferred calls drained").Attributes["steward.handler.name"]);
        Assert.Equal("readings", stop.Events.Single(e => e.Name == "resources closed").Attributes["steward.resource.name"]);
        Assert.Equal(0L, stop.Attributes["steward.exit_code"]);
        Assert.All(spans.Where(s => s.Name == "steward.worker.run"), run => Assert.True(run.EndNanos <= stop.EndNanos));
        var stoppedAt = spans.Where(s => s.Name == "steward.worker.run")
            .Select(r => r.Events.Single(e => Equals(e.Attributes["steward.runstate.to"], "stopped")).TimeNanos).Max();
        Assert.True(stoppedAt >= stop.Events[0].TimeNanos, "the runs stopped during the stop");
        Assert.Single(spans, s => s.Name == "steward.host.start");

        // Metrics: the final flush at exit carried the transitions of the stop.
        var points = receiver.Points;
        var transitionsToStopped = points.Where(p => p.Metric == "steward.runstate.transitions"
            && Equals(p.Attributes["steward.runstate.to"], "stopped")).ToList();
        Assert.Contains(transitionsToStopped, p => Equals(p.Attributes["steward.runstate.name"], "SensorMonitor#0") && p.Value >= 1);
        Assert.Contains(transitionsToStopped, p => Equals(p.Attributes["steward.runstate.name"], "Reporter#0") && p.Value >= 1);
        Assert.Contains(points, p => p.Metric == "steward.statemachine.transitions" && Equals(p.Attributes["steward.statemachine.to"], "streaming"));
        Assert.Contains(points, p => p.Metric == "steward.deferred.call.duration" && Equals(p.Attributes["steward.handler.name"], "ingest"));
        Assert.All(points.Where(p => p.Metric == "steward.runstate.transitions"), p => Assert.Equal("{transition}", p.Unit));
        Assert.Contains(points, p => p.Metric == "steward.multiopen.opens.active" && Equals(p.Attributes["steward.resource.name"], "readings"));
        Assert.Contains(points, p => p.Metric == "steward.worker.run.duration" && p.Kind == "histogram" && Equals(p.Attributes["steward.worker.outcome"], "cancelled"));
    }

    [UnixFact]
    public async Task An_unreachable_collector_neither_fails_nor_hangs_the_stop()
    {
        var closedPort = OtlpReceiver.FreePort(); // nothing listens there
        await using var demo = StartDemo($"http://127.0.0.1:{closedPort}", "--Steward:ShutdownTimeout=00:00:10");
        await demo.ExpectLineAsync("Report:");

        var stopping = Stopwatch.StartNew();
        demo.Signal(PosixSignal.SIGTERM);

        Assert.True(await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, demo.Transcript);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {stopping.Elapsed}, past the shutdown timeout");
    }

    [Fact]
    public async Task A_malformed_OpenTelemetry_section_exits_2_naming_the_key()
    {
        await using var demo = StartDemo(null, "--OpenTelemetry:Otlp:Endpoint=not a uri");

        Assert.True(await demo.WaitForExitAsync() == 2, demo.Transcript);
        Assert.Contains("OpenTelemetry:Otlp:Endpoint", demo.Transcript, StringComparison.Ordinal);
        Assert.Contains("not a uri", demo.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_Serilog_section_exits_2_naming_it()
    {
        await using var demo = StartDemo(null, "--Serilog:MinimumLevel:Default=Loud");

        Assert.True(await demo.WaitForExitAsync() == 2, demo.Transcript);
        Assert.Contains("Invalid configuration: Serilog", demo.Transcript, StringComparison.Ordinal);
        Assert.Contains("Loud", demo.Transcript, StringComparison.Ordinal);
    }

    private ChildProcess StartDemo(string? endpoint, params string[] arguments)
    {
        var environment = new Dictionary<string, string>();
        if (endpoint is not null)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }

        return ChildProcess.Start(
            Path.Combine(AppContext.BaseDirectory, "WorkerDemo.dll"),
            ["--WorkerDemo:SensorInterval=00:00:00.020", "--WorkerDemo:ReportInterval=00:00:00.300", .. arguments],
            workingDirectory: _contentRoot,
            environment: environment);
    }
}
