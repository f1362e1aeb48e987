using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Steward.Hosting.Tests.Support;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Hosting.Tests.Telemetry;

/// <summary>
/// The host's telemetry through the real OpenTelemetry SDK (<c>UseOpenTelemetry</c> with the in-memory exporters): what
/// was exported once the host has stopped and been disposed, which is when the SDK flushes.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class HostingTelemetryTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static Dictionary<string, string?> FastRestarts(string worker) => new()
    {
        [$"Steward:Workers:{worker}:Restart:Policy"] = "OnFailure",
        [$"Steward:Workers:{worker}:Restart:InitialBackoff"] = "00:00:00.010",
        [$"Steward:Workers:{worker}:Restart:Jitter"] = "0",
        [$"Steward:Workers:{worker}:Instances"] = "2",
    };

    [Fact]
    public async Task A_shutdown_is_one_readable_trace_exported_after_the_last_transition_of_the_stop()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        var probe = new Probe { FailTimes = 1 };
        var host = TestHost.Build(
            b => b.AddWorker<FlakyWorker>("OtelFlaky").UseOpenTelemetry(otel => otel
                .WithTracing(t => t.AddInMemoryExporter(spans))
                .WithMetrics(m => m.AddInMemoryExporter(metrics))),
            FastRestarts("OtelFlaky"),
            services: s => s.AddSingleton(probe));
        var lifetime = host.Lifetime;

        var running = host.Host.RunStewardAsync();
        await probe.Running.Task.WaitAsync(s_timeout);
        SpinWait.SpinUntil(() => probe.Attempts >= 3, s_timeout); // both instances ran; one failed and was restarted
        lifetime.StopApplication();
        Assert.Equal(0, await running.WaitAsync(s_timeout)); // RunStewardAsync disposes the host: the SDK has flushed

        // Runs: one failed (Error, with the exception), the others ended by the stop, each with its transitions.
        var runs = spans.Where(s => s.OperationName == I.WorkerRun && Equals(s.GetTagItem(A.WorkerName), "OtelFlaky")).ToList();
        Assert.Equal(3, runs.Count);
        var failed = Assert.Single(runs, r => r.Status == ActivityStatusCode.Error);
        Assert.Equal("attempt 1 failed", failed.StatusDescription);
        Assert.Contains(failed.Events, e => e.Name == "exception");
        Assert.All(runs, r => Assert.Null(r.Parent)); // each run is the root of a trace of its own
        Assert.Contains(runs, r => Equals(r.GetTagItem(A.WorkerRestarts), 1));
        foreach (var run in runs)
        {
            var transitions = run.Events.Where(e => e.Name == I.RunStateTransitionEvent)
                .Select(e => $"{e.Tags.Single(t => t.Key == A.RunStateFrom).Value}->{e.Tags.Single(t => t.Key == A.RunStateTo).Value}")
                .ToList();

            // Started (from idle, or from stopped for the restart), cancelled (by the failure or by the stop), stopped.
            Assert.Equal(3, transitions.Count);
            Assert.EndsWith("->running", transitions[0], StringComparison.Ordinal);
            Assert.Equal(["running->stopping", "stopping->stopped"], transitions.Skip(1));
        }

        // The host's start and stop: the stop's events mark each stage, the exit code last, and it ended after the runs.
        var start = Assert.Single(spans, s => s.OperationName == I.HostStart);
        Assert.Equal(2, start.GetTagItem("steward.worker.instances"));
        var stop = Assert.Single(spans, s => s.OperationName == I.HostStop);
        Assert.Equal(["stopping", "workers drained", "exit code"], stop.Events.Select(e => e.Name).ToArray());
        Assert.Equal(0, stop.GetTagItem(A.ExitCode));
        Assert.All(runs, r => Assert.True(r.StartTimeUtc + r.Duration <= stop.StartTimeUtc + stop.Duration));

        // Metrics, collected by the final flush: restarts, run durations by outcome, RunState transitions.
        Assert.Equal(1, SumLong(metrics, I.WorkerRestarts, (A.WorkerName, "OtelFlaky")));
        Assert.Equal(1, HistogramCount(metrics, I.WorkerRunDuration, (A.WorkerName, "OtelFlaky"), (A.WorkerOutcome, "failed")));
        Assert.Equal(2, HistogramCount(metrics, I.WorkerRunDuration, (A.WorkerName, "OtelFlaky"), (A.WorkerOutcome, "cancelled")));
        Assert.Equal(3, SumLong(metrics, I.RunStateTransitions, (A.RunStateName, "OtelFlaky#0"), (A.RunStateTo, "stopped"))
            + SumLong(metrics, I.RunStateTransitions, (A.RunStateName, "OtelFlaky#1"), (A.RunStateTo, "stopped")));
    }

    [Fact]
    public async Task The_stop_marks_every_stage_in_the_order_it_happens()
    {
        var spans = new List<Activity>();
        await using (var host = TestHost.Build(b => b
            .AddMultiOpen<ResourceTests.CountedResource>()
            .AddTaskNursery()
            .AddTasklets(_ => { })
            .AddDeferredCalls<DeferredHostingTests.Manager>()
            .UseOpenTelemetry(otel => otel.WithTracing(t => t.AddInMemoryExporter(spans)))))
        {
            await host.StartAsync();
            await host.StopAsync();
        }

        var stop = Assert.Single(spans, s => s.OperationName == I.HostStop);
        Assert.Equal(
            ["stopping", "workers drained", "deferred calls drained", "tasklets drained", "nursery closed", "resources closed", "exit code"],
            stop.Events.Select(e => e.Name).ToArray());
        Assert.Equal("Manager", stop.Events.Single(e => e.Name == "deferred calls drained").Tags.Single(t => t.Key == A.HandlerName).Value);
        Assert.Equal("counted", stop.Events.Single(e => e.Name == "resources closed").Tags.Single(t => t.Key == A.ResourceName).Value);
    }

    [Fact]
    public async Task Worker_instances_are_reported_by_health()
    {
        using var recorder = new Steward.Tests.Support.TelemetryRecorder();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("OtelCounting"),
            new Dictionary<string, string?> { ["Steward:Workers:OtelCounting:Instances"] = "3" },
            services: s => s.AddSingleton(probe));
        await host.StartAsync();
        SpinWait.SpinUntil(() => probe.Attempts == 3, s_timeout);
        host.Controller.Pause("OtelCounting");

        recorder.Observe();

        Assert.Equal("{instance}", recorder.Instrument(I.WorkerInstances).Unit);
        Assert.Equal(3, recorder.Of(I.WorkerInstances, (A.WorkerName, "OtelCounting"), (A.WorkerHealth, "paused")).Sum(m => m.Value));
        Assert.Equal(0, recorder.Of(I.WorkerInstances, (A.WorkerName, "OtelCounting"), (A.WorkerHealth, "running")).Sum(m => m.Value));
        await host.StopAsync();
    }

    [Fact]
    public async Task Each_worker_run_is_inside_a_logging_scope_naming_the_worker_and_its_instance()
    {
        var scopes = new ScopeCapturingProvider();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<LoggingWorker>("Scoped"),
            services: s => s.AddSingleton(probe).AddLogging(l => l.AddProvider(scopes)));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(s_timeout);
        await host.StopAsync();

        var (scope, _) = Assert.Single(scopes.Entries, e => e.Message == "inside the worker");
        Assert.Contains(new KeyValuePair<string, object?>("WorkerName", "Scoped"), scope);
        Assert.Contains(new KeyValuePair<string, object?>("WorkerInstance", 0), scope);
    }

    private static long SumLong(List<Metric> metrics, string name, params (string Key, object? Value)[] tags)
    {
        var metric = metrics.LastOrDefault(m => m.Name == name);
        if (metric is null)
        {
            return 0;
        }

        long sum = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            if (Matches(point, tags))
            {
                sum += point.GetSumLong();
            }
        }

        return sum;
    }

    private static long HistogramCount(List<Metric> metrics, string name, params (string Key, object? Value)[] tags)
    {
        var metric = metrics.Last(m => m.Name == name);
        long count = 0;
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            if (Matches(point, tags))
            {
                count += point.GetHistogramCount();
            }
        }

        return count;
    }

    private static bool Matches(in MetricPoint point, (string Key, object? Value)[] tags)
    {
        var actual = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            actual[tag.Key] = tag.Value;
        }

        return tags.All(t => actual.TryGetValue(t.Key, out var v) && Equals(v, t.Value));
    }

    internal sealed class LoggingWorker(Probe probe, ILogger<LoggingWorker> logger) : IRunStateWorker
    {
        private static readonly Action<ILogger, Exception?> s_inside = LoggerMessage.Define(LogLevel.Information, new EventId(1), "inside the worker");

        public async Task ExecuteAsync(RunState runState)
        {
            s_inside(logger, null);
            probe.Running.TrySetResult();
            await runState.SleepAsync(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Records each entry with the scope properties in force when it was written.</summary>
    private sealed class ScopeCapturingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public System.Collections.Concurrent.ConcurrentQueue<(List<KeyValuePair<string, object?>> Scope, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(ScopeCapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => owner._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scope = new List<KeyValuePair<string, object?>>();
                owner._scopes.ForEachScope((s, list) =>
                {
                    if (s is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        list.AddRange(pairs);
                    }
                }, scope);
                owner.Entries.Enqueue((scope, formatter(state, exception)));
            }
        }
    }
}
