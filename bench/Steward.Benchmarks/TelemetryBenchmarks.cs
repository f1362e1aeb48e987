using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Steward.Benchmarks;

/// <summary>
/// What telemetry adds to a RunState transition: a Start + Stop pair with nobody listening (the baseline) against the
/// same pair with the OpenTelemetry SDK listening to Steward's traces and metrics (<c>AddStewardInstrumentation()</c> on
/// both, every activity sampled, metrics aggregated for an in-memory exporter). BenchmarkDotNet runs each benchmark in a
/// process of its own, so the listener of one never reaches the other. The added cost per transition is
/// (listening − baseline) / 2.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private const int Pairs = 1_000;
    private readonly List<Metric> _exported = [];
    private RunState _runState = null!;
    private TracerProvider? _tracing;
    private MeterProvider? _metrics;

    [GlobalSetup(Target = nameof(RunState_StartStop_NobodyListening))]
    public void SetupQuiet() => _runState = new RunState("bench-telemetry");

    [GlobalSetup(Target = nameof(RunState_StartStop_OpenTelemetryListening))]
    public void SetupListening()
    {
        _runState = new RunState("bench-telemetry");
        _tracing = Sdk.CreateTracerProviderBuilder().AddStewardInstrumentation().SetSampler(new AlwaysOnSampler()).Build();
        _metrics = Sdk.CreateMeterProviderBuilder().AddStewardInstrumentation().AddInMemoryExporter(_exported).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tracing?.Dispose();
        _metrics?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs)]
    public RunStateStatus RunState_StartStop_NobodyListening() => StartStop();

    [Benchmark(OperationsPerInvoke = Pairs)]
    public RunStateStatus RunState_StartStop_OpenTelemetryListening()
    {
        Debug.Assert(_tracing is not null);
        return StartStop();
    }

    private RunStateStatus StartStop()
    {
        for (var i = 0; i < Pairs; i++)
        {
            _runState.Start();
            _runState.Stop();
        }

        return _runState.Status;
    }
}
