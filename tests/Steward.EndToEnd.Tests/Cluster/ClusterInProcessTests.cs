using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Hosting;

namespace Steward.EndToEnd.Tests.Cluster;

/// <summary>
/// Two Steward hosts in this process sharing one singleton through a real PostgreSQL: what the controller, the health
/// check and the telemetry say about the holder and the standby, and the scoped lease the worker gets.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class ClusterInProcessTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [PostgresFact]
    public async Task The_holder_and_the_standby_report_their_roles_health_and_telemetry_and_the_standby_takes_over_at_stop()
    {
        var changes = new List<string>();
        var failovers = new List<double>();
        var held = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Steward" && instrument.Name.StartsWith("steward.cluster.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            if (instrument.Name == "steward.cluster.lease.changes")
            {
                lock (changes)
                {
                    changes.Add((string)tags.ToArray().Single(t => t.Key == "steward.cluster.change").Value!);
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (failovers)
            {
                failovers.Add(value);
            }
        });
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => held += value);
        listener.Start();

        var connectionString = await server.CreateDatabaseAsync("inprocess");
        using var first = Build(connectionString);
        await first.StartAsync();
        var firstLease = await LeaseOf(first);
        using var second = Build(connectionString);
        await second.StartAsync();

        var standby = await WaitFor(second, s => s.Health == WorkerHealth.Standby && s.Cluster?.Holder == firstLease.Holder);
        Assert.Equal(new WorkerClusterStatus(ClusterMode.Singleton, 0, IsHolder: false, firstLease.Epoch, firstLease.Holder), standby.Cluster);
        var leader = Status(first);
        Assert.Equal(WorkerHealth.Running, leader.Health);
        Assert.Equal(new WorkerClusterStatus(ClusterMode.Singleton, 0, IsHolder: true, firstLease.Epoch, firstLease.Holder), leader.Cluster);
        Assert.Equal(HealthStatus.Healthy, (await Health(second)).Status); // a standby is healthy
        Assert.Equal("0 worker instance(s) running, 1 standing by", (await Health(second)).Entries["steward"].Description);

        held = 0;
        listener.RecordObservableInstruments();
        Assert.Equal(1, held); // the two hosts together hold the one lease

        await first.StopAsync();
        Assert.True(firstLease.LostToken.IsCancellationRequested); // the run ended with the host
        var secondLease = await LeaseOf(second);
        Assert.True(secondLease.Epoch > firstLease.Epoch);
        Assert.NotEqual(firstLease.Holder, secondLease.Holder);
        await second.StopAsync();

        lock (changes)
        {
            // Each host acquired and released once (the second may acquire before the first has recorded its release:
            // the release's notification wakes it within the same round trip).
            Assert.Equal(["acquired", "acquired", "released", "released"], changes.Order(StringComparer.Ordinal));
        }

        lock (failovers)
        {
            Assert.Single(failovers); // the second acquisition followed a holder: how long the lease was free
            Assert.InRange(failovers[0], 0, 5);
        }
    }

    [PostgresFact]
    public async Task A_holder_cut_off_from_the_database_gives_its_lease_up_before_another_process_can_take_it()
    {
        var direct = await server.CreateDatabaseAsync("partition");
        await using var proxy = new FreezableProxy(server.Port);
        var throughProxy = direct.Replace($"Port={server.Port}", $"Port={proxy.Port}", StringComparison.Ordinal);
        using var cutOff = Build(throughProxy);
        await cutOff.StartAsync();
        var lease = await LeaseOf(cutOff);
        using var other = Build(direct);
        await other.StartAsync();
        await WaitFor(other, s => s.Health == WorkerHealth.Standby && s.Cluster?.Holder == lease.Holder);

        long lostAt = 0;
        using var lost = lease.LostToken.Register(() => lostAt = Stopwatch.GetTimestamp());
        var frozenAt = Stopwatch.GetTimestamp();
        proxy.Freeze(); // a network partition: the holder's queries get no answer, and no error either

        // The holder's renewal watchdog gives the lease up at 5/6 of the lease timeout after its last renewal was sent;
        // the database lets the other process take it only once the lease expired, a full lease timeout after it.
        var taken = await LeaseOf(other);
        var takenAt = Stopwatch.GetTimestamp();
        Assert.True(lostAt != 0 && lostAt < takenAt,
            $"the cut-off holder must give up first: lost {Stopwatch.GetElapsedTime(frozenAt, lostAt)}, taken {Stopwatch.GetElapsedTime(frozenAt, takenAt)} after the freeze");
        // By the renewal watchdog (5/6 of the lease timeout after the last renewal was sent), or, on a loaded machine whose
        // timers run late, by the hung query's own timeout breaking the connection: either way before the other took it.
        Assert.True(lease.LostReason!.StartsWith("no renewal succeeded for 1.667 s", StringComparison.Ordinal)
            || lease.LostReason.StartsWith("the coordination connection failed", StringComparison.Ordinal), lease.LostReason);
        Assert.True(taken.Epoch > lease.Epoch);

        proxy.Thaw();
        await other.StopAsync();
        await cutOff.StopAsync();
    }

    [PostgresFact]
    public async Task A_failing_singleton_is_restarted_by_its_policy_and_each_run_holds_a_new_epoch()
    {
        using var host = Build(await server.CreateDatabaseAsync("failing"), failFirst: true);
        await host.StartAsync();

        var box = host.Services.GetRequiredService<LeaseBox>();
        var first = await box.Failed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = await LeaseOf(host);
        var status = await WaitFor(host, s => s.Health == WorkerHealth.Running && s.Restarts == 1);

        Assert.Equal(first.Epoch + 1, second.Epoch); // released after the failed run, acquired again for the next
        Assert.True(first.LostToken.IsCancellationRequested);
        Assert.Equal(second.Epoch, status.Cluster!.Epoch);
        await host.StopAsync();
    }

    [PostgresFact]
    public async Task A_run_that_returns_releases_its_lease_and_stands_by_and_the_connection_stays_quiet()
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
        var warnings = new WarningCounter();
        using var host = Build(await server.CreateDatabaseAsync("released"), returnAtOnce: true, warnings);
        await host.StartAsync();

        await LeaseOf(host);
        var standing = await WaitFor(host, s => s.Health == WorkerHealth.Standby && s.Cluster is { IsHolder: false }); // returned: released
        Assert.Equal(0, standing.Restarts); // a clustered run that returns is not a restart: it stands by for InitialBackoff
        var after = Interlocked.Read(ref trips);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Interlocked.Read(ref trips) < after + 5) // five more ticks: well past the renewal watchdog's window
        {
            await Task.Delay(20, deadline.Token);
        }

        Assert.Equal(0, warnings.Count); // no renewal watchdog firing on nothing, no reconnect
        await host.StopAsync();
    }

    private static IHost Build(string connectionString, bool failFirst = false) => Build(connectionString, failFirst, returnAtOnce: false, null);

    private static IHost Build(string connectionString, bool returnAtOnce, ILoggerProvider? logs) => Build(connectionString, false, returnAtOnce, logs);

    private static IHost Build(string connectionString, bool failFirst, bool returnAtOnce, ILoggerProvider? logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "inprocess" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Steward"] = connectionString,
            ["Steward:Cluster:LeaseTimeout"] = "00:00:02",
            ["Steward:Workers:leader:Cluster:Mode"] = "Singleton", // the key's case need not match the registered name
            // A run that returns stands by for this long before it competes again.
            ["Steward:Workers:leader:Restart:InitialBackoff"] = returnAtOnce ? "00:00:30" : "00:00:00.100",
        });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddSingleton(new LeaseBox { FailFirst = failFirst, ReturnAtOnce = returnAtOnce });
        builder.Services.AddHealthChecks().AddRunStateHealthCheck();
        builder.Services.AddRunState().AddWorker<LeaseKeeper>("Leader").UsePostgresCoordination();
        return builder.Build();
    }

    private static WorkerStatus Status(IHost host) => host.Services.GetRequiredService<IRunStateController>().Workers.Single();

    private static async Task<WorkerStatus> WaitFor(IHost host, Func<WorkerStatus, bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition(Status(host)))
        {
            await Task.Delay(20, deadline.Token);
        }

        return Status(host);
    }

    private static Task<ClusterLease> LeaseOf(IHost host) => host.Services.GetRequiredService<LeaseBox>().Leased.Task.WaitAsync(TimeSpan.FromSeconds(30));

    private static Task<HealthReport> Health(IHost host) => host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    /// <summary>What the host's worker was given.</summary>
    private sealed class LeaseBox
    {
        public bool FailFirst { get; init; }

        public bool ReturnAtOnce { get; init; }

        public TaskCompletionSource<ClusterLease> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ClusterLease> Leased { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Takes its scoped lease and holds it until cancelled.</summary>
    private sealed class LeaseKeeper(ClusterLease lease, IServiceProvider scope, LeaseBox box) : IRunStateWorker
    {
        public Task ExecuteAsync(RunState runState)
        {
            Assert.Same(lease, scope.GetRequiredService<ClusterLease>()); // one lease per run's scope
            if (box.FailFirst && box.Failed.TrySetResult(lease))
            {
                throw new InvalidOperationException("the first run fails");
            }

            box.Leased.TrySetResult(lease);
            return box.ReturnAtOnce ? Task.CompletedTask : runState.SleepAsync(Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Counts the warnings and errors logged by the cluster coordination.</summary>
    private sealed class WarningCounter : ILoggerProvider
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName.EndsWith("ClusterCoordinator", StringComparison.Ordinal));

        public void Dispose()
        {
        }

        private sealed class Logger(WarningCounter owner, bool counted) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => counted && logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    Interlocked.Increment(ref owner._count);
                }
            }
        }
    }
}
