using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.ClusterBench;
using Steward.Hosting;

// Driver: dotnet run -c Release --project bench/Steward.ClusterBench [-- --rounds 10 --lease 2]
// Child:  Steward.ClusterBench --child <connection string> <lease seconds>   (started by the driver's fail-over part)
if (args is ["--child", var childConnection, var childLease])
{
    Environment.SetEnvironmentVariable("STEWARD_BENCH_SAY", "1");
    using var child = Build(childConnection, "failover", 1, TimeSpan.FromSeconds(double.Parse(childLease, CultureInfo.InvariantCulture)));
    await child.StartAsync();
    Console.WriteLine("started");
    await child.WaitForShutdownAsync();
    return 0;
}

var rounds = Option("--rounds", 10);
var lease = TimeSpan.FromSeconds(Option("--lease", 2));
await using var postgres = await LocalPostgres.StartAsync();
Console.WriteLine($"# Cluster benchmark: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, PostgreSQL on 127.0.0.1");
Console.WriteLine();
Console.WriteLine("| leases in one process | lease timeout | round trips/s at steady state | round trips per renewal period |");
Console.WriteLine("|---:|---:|---:|---:|");
foreach (var timeout in new[] { lease, TimeSpan.FromSeconds(15) })
{
    foreach (var leases in new[] { 1, 100 })
    {
        var perSecond = await RoundTripsAsync(postgres.ConnectionString, leases, timeout);
        Console.WriteLine($"| {leases} | {timeout.TotalSeconds} s | {perSecond:0.00} | {perSecond * timeout.TotalSeconds / 3:0.00} |");
    }
}

Console.WriteLine();
var failovers = await FailoversAsync(postgres.ConnectionString, rounds, lease);
failovers.Sort();
Console.WriteLine($"Fail-over after SIGKILL of the holder (lease timeout {lease.TotalSeconds} s, {rounds} rounds): median {Median(failovers):0.000} s "
    + $"({Median(failovers) / lease.TotalSeconds:0.00}× the lease timeout), min {failovers[0]:0.000} s, max {failovers[^1]:0.000} s");
Console.WriteLine($"All: {string.Join(", ", failovers.Select(f => f.ToString("0.000", CultureInfo.InvariantCulture)))}");
return 0;

int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

static IHost Build(string connectionString, string group, int leases, TimeSpan leaseTimeout)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = group });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Steward:Cluster:LeaseTimeout"] = leaseTimeout.ToString(),
        ["Steward:Workers:Work:Cluster:Mode"] = leases == 1 ? "Singleton" : "Partitioned",
        ["Steward:Workers:Work:Cluster:Partitions"] = leases.ToString(CultureInfo.InvariantCulture),
    });
    builder.Logging.ClearProviders();
    builder.Services.AddRunState().AddWorker<BenchWorker>("Work").UsePostgresCoordination(connectionString);
    return builder.Build();
}

// One process holding `leases` leases: the coordination connection's round trips per second once every lease is held.
static async Task<double> RoundTripsAsync(string connectionString, int leases, TimeSpan leaseTimeout)
{
    long trips = 0;
    using var listener = new MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument is { Meter.Name: "Steward", Name: "steward.cluster.round_trips" })
        {
            l.EnableMeasurementEvents(instrument);
        }
    };
    listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref trips, value));
    listener.Start();
    using var host = Build(connectionString, $"trips-{leases}-{leaseTimeout.TotalSeconds}", leases, leaseTimeout);
    await host.StartAsync();
    var controller = host.Services.GetRequiredService<IRunStateController>();
    while (controller.Workers.Count(w => w.Cluster?.IsHolder == true) < leases)
    {
        await Task.Delay(20);
    }

    await Task.Delay(leaseTimeout / 3); // past the acquisitions' own round trips
    var before = Interlocked.Read(ref trips);
    var clock = Stopwatch.StartNew();
    await Task.Delay(leaseTimeout * 3); // nine renewal periods
    var perSecond = (Interlocked.Read(ref trips) - before) / clock.Elapsed.TotalSeconds;
    if (controller.Workers.Count(w => w.Cluster?.IsHolder == true) != leases)
    {
        throw new InvalidOperationException("a lease was lost during the measurement");
    }

    await host.StopAsync();
    return perSecond;
}

// Two processes, one holding the singleton: SIGKILL the holder, time until the other's worker says it leads; start a new
// standby; again.
static async Task<List<double>> FailoversAsync(string connectionString, int rounds, TimeSpan leaseTimeout)
{
    var lines = Channel.CreateUnbounded<(Process Process, string Line, long At)>();
    var nodes = new List<Process>();
    Process Start()
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchWorker).Assembly.Location);
        }

        foreach (var argument in new[] { "--child", connectionString, leaseTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Writer.TryWrite((process, line, Stopwatch.GetTimestamp()));
            }
        };
        process.BeginOutputReadLine();
        nodes.Add(process);
        return process;
    }

    async Task<(Process Process, long At)> Next(string text, Process? from = null)
    {
        while (true)
        {
            var (process, line, at) = await lines.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            if (line.StartsWith(text, StringComparison.Ordinal) && (from is null || process == from))
            {
                return (process, at);
            }
        }
    }

    var results = new List<double>();
    try
    {
        var first = Start();
        await Next("started", first);
        var leader = (await Next("leader")).Process;
        Start();
        await Next("started");
        await Task.Delay(leaseTimeout); // the standby is connected and has read the holder
        for (var round = 0; round < rounds; round++)
        {
            var killedAt = Stopwatch.GetTimestamp();
            leader.Kill();
            var (next, at) = await Next("leader");
            results.Add(Stopwatch.GetElapsedTime(killedAt, at).TotalSeconds);
            leader = next;
            Start();
            await Next("started");
            await Task.Delay(leaseTimeout);
        }
    }
    finally
    {
        foreach (var node in nodes.Where(n => !n.HasExited))
        {
            node.Kill();
            await node.WaitForExitAsync();
        }
    }

    return results;
}
