using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests.Cluster;

/// <summary>Clustered workers' settings checked at start, and a coordination database out of reach (no server needed).</summary>
public sealed class ClusterConfigurationTests
{
    public static TheoryData<string?, Dictionary<string, string?>, string> BadSettings => new()
    {
        { null, new() { ["Steward:Workers:Counting:Cluster:Mode"] = "Singleton" },
            "Steward:Workers:Counting:Cluster:Mode is Singleton, but no coordination is configured: call UsePostgresCoordination()" },
        { "", new() { ["Steward:Workers:Counting:Cluster:Mode"] = "Singleton" }, "ConnectionStrings:Steward is not set" },
        { "Host=db;Bogus=1", new(), "ConnectionStrings:Steward is not a valid PostgreSQL connection string: " },
        { "Database=app", new(), "ConnectionStrings:Steward is not a usable PostgreSQL connection string: it names no Host." },
        { "Host=db", new() { ["Steward:Workers:Counting:Cluster:Mode"] = "Partitioned", ["Steward:Workers:Counting:Instances"] = "2" },
            "Steward:Workers:Counting:Instances must be 1 when Cluster:Mode is Partitioned (got 2)" },
        { "Host=db", new() { ["Steward:Workers:Counting:Cluster:Mode"] = "Partitioned", ["Steward:Workers:Counting:Cluster:Partitions"] = "0" },
            "Steward:Workers:Counting:Cluster:Partitions must be between 1 and 4096 (got 0)" },
        { "Host=db", new() { ["Steward:Workers:Counting:Cluster:Mode"] = "Singleton", ["Steward:Workers:Counting:Cluster:Partitions"] = "3" },
            "Steward:Workers:Counting:Cluster:Partitions applies only when Cluster:Mode is Partitioned (got 3 with mode Singleton)" },
        { "Host=db", new() { ["Steward:Cluster:LeaseTimeout"] = "00:00:00.500" }, "Steward:Cluster:LeaseTimeout must be at least one second" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_cluster_setting_fails_the_start_naming_the_key(string? connectionString, Dictionary<string, string?> settings, string expected)
    {
        var probe = new Probe();
        if (connectionString is { Length: > 0 })
        {
            settings["ConnectionStrings:Steward"] = connectionString;
        }

        await using var host = TestHost.Build(
            b =>
            {
                b.AddWorker<CountingWorker>("Counting");
                if (connectionString is not null)
                {
                    b.UsePostgresCoordination();
                }
            },
            settings, services: s => s.AddSingleton(probe));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
        Assert.Equal(0, probe.Attempts);
    }

    [Fact]
    public async Task An_unreachable_database_lets_the_host_start_with_its_clustered_workers_standing_by_degraded()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(
            b => b.AddWorker<CountingWorker>("Counting").AddWorker<CountingWorker>("Everywhere").UsePostgresCoordination(),
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Steward"] = $"Host=127.0.0.1;Port={ClosedPort()};Username=nobody",
                ["Steward:Cluster:LeaseTimeout"] = "00:00:01",
                ["Steward:Workers:Counting:Cluster:Mode"] = "Singleton",
            },
            services: s =>
            {
                s.AddSingleton(probe);
                s.AddHealthChecks().AddRunStateHealthCheck();
            });

        await host.StartAsync();

        // Retries back off (250 ms, 500 ms, then the lease timeout); the warning is logged once, the retries at debug.
        await host.Logs.WaitForLineAsync(l => l.Contains("still cannot use the database", StringComparison.Ordinal)
            && host.Logs.Lines.Count(x => x.Contains("still cannot", StringComparison.Ordinal)) >= 3).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Single(host.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("cannot use the database", StringComparison.Ordinal));

        var counting = host.Controller.Workers.Single(w => w.Name == "Counting");
        Assert.Equal(WorkerHealth.Standby, counting.Health);
        Assert.Equal(new WorkerClusterStatus(ClusterMode.Singleton, 0, IsHolder: false, Epoch: null, Holder: null), counting.Cluster);
        Assert.Null(host.Controller.Workers.Single(w => w.Name == "Everywhere").Cluster); // mode None: runs as ever
        Assert.Equal(WorkerHealth.Running, host.Controller.Workers.Single(w => w.Name == "Everywhere").Health);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Contains("Counting#0 Standby; cluster coordination: ", report.Entries["steward"].Description, StringComparison.Ordinal);

        await host.StopAsync();
        Assert.Equal(0, host.Steward.ExitCode);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: connections are refused
    }
}
