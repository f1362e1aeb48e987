using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests.Telemetry;

/// <summary>Serilog through <c>AddSerilog</c> (Serilog.Extensions.Hosting): a worker's events carry its run's scope and trace.</summary>
[Collection(SerialTestGroup.Name)]
public sealed class SerilogTests
{
    [Fact]
    public async Task An_event_written_in_a_worker_carries_WorkerName_WorkerInstance_and_the_trace_of_its_run()
    {
        var sink = new CapturingSink();
        var spans = new List<Activity>();
        var probe = new Probe();
        await using (var host = TestHost.Build(
            b => b.AddWorker<HostingTelemetryTests.LoggingWorker>("SerilogWorker")
                .UseOpenTelemetry(otel => otel.WithTracing(t => t.AddInMemoryExporter(spans))),
            services: s => s.AddSingleton(probe).AddSerilog(logger => logger.Enrich.FromLogContext().WriteTo.Sink(sink))))
        {
            await host.StartAsync();
            await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await host.StopAsync();
        }

        var logged = Assert.Single(sink.Events, e => e.MessageTemplate.Text == "inside the worker");
        Assert.Equal("\"SerilogWorker\"", logged.Properties["WorkerName"].ToString());
        Assert.Equal("0", logged.Properties["WorkerInstance"].ToString());
        var run = Assert.Single(spans, s => s.OperationName == "steward.worker.run" && Equals(s.GetTagItem("steward.worker.name"), "SerilogWorker"));
        Assert.Equal(run.TraceId, logged.TraceId);
        Assert.Equal(run.SpanId, logged.SpanId);
    }

    private sealed class CapturingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }
}
