using System.Diagnostics;
using System.Runtime.InteropServices;
using Steward.EndToEnd.Tests.Systemd;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Cluster;

/// <summary>
/// Scale-out against a real PostgreSQL (started by <see cref="PostgresServer"/>) with real processes of the test host:
/// singleton fail-over and hand-over, partitions spreading and rebalancing, the database restarting, and never two
/// holders at once (checked on what the workers wrote). Each test has a database of its own. Serial: the timings
/// asserted (fail-over within the lease timeout + 1 s, hand-over within 1 s) need the CPU to themselves.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class ClusterTests(PostgresServer server) : IClassFixture<PostgresServer>, IDisposable
{
    private const int Sigkill = 9;
    private readonly string _workDirectory = Directory.CreateTempSubdirectory("steward-cluster-").FullName;

    public void Dispose() => Directory.Delete(_workDirectory, recursive: true);

    [PostgresFact]
    public async Task A_singleton_runs_once_and_fails_over_on_kill_sigterm_and_a_terminated_backend()
    {
        await using var cluster = new ClusterNodes(await server.CreateDatabaseAsync("singleton"), _workDirectory);
        ChildProcess[] nodes = [cluster.Start(), cluster.Start(), cluster.Start()];
        await cluster.WaitForAsync(async () => await cluster.LastBeatAsync() is not null, TimeSpan.FromSeconds(60), "a leader beats");

        // SIGKILL the leader: another takes over within the lease timeout + 1 s.
        var first = await Leader(cluster, nodes);
        first.Signal(Sigkill);
        var killed = Stopwatch.StartNew();
        await cluster.WaitForAsync(async () => (await cluster.LastBeatAsync())?.Process is { } p && p != first.Id,
            ClusterNodes.LeaseTimeout + TimeSpan.FromSeconds(1), $"a standby takes over from {first.Id} (SIGKILL)");
        Assert.True(killed.Elapsed <= ClusterNodes.LeaseTimeout + TimeSpan.FromSeconds(1), $"fail-over after SIGKILL took {killed.Elapsed}");

        // SIGTERM the new leader: it hands over within 1 s of its exit.
        var second = await Leader(cluster, nodes);
        second.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await second.WaitForExitAsync());
        await cluster.WaitForAsync(async () => (await cluster.LastBeatAsync())?.Process is { } p && p != second.Id,
            TimeSpan.FromSeconds(1), $"the last standby takes over from {second.Id} (SIGTERM) within 1 s of its exit");
        Assert.Contains("Released the lease of Leader/0", second.Transcript, StringComparison.Ordinal);

        // Terminate the coordination backend of the third leader: its worker is cancelled and the fourth takes over.
        nodes = [.. nodes, cluster.Start()];
        await nodes[^1].ExpectLineAsync("Application started");
        var third = await Leader(cluster, nodes);
        var terminated = await PostgresServer.QueryAsync(cluster.ConnectionString,
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'steward %/{third.Id}/%'");
        Assert.Single(terminated);
        await third.ExpectLineAsync($"stopped Leader/0", TimeSpan.FromSeconds(2));
        Assert.Contains("lost: the coordination connection failed", third.Transcript, StringComparison.Ordinal);
        await cluster.WaitForAsync(async () => (await cluster.LastBeatAsync())?.Process == nodes[^1].Id,
            ClusterNodes.LeaseTimeout + TimeSpan.FromSeconds(1), "the standby takes over from the terminated backend's process");

        foreach (var node in nodes.Where(n => !n.HasExited))
        {
            node.Signal(PosixSignal.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync());
        }

        await cluster.AssertNeverTwoAtOnceAsync("Leader", minimumEpochs: 4);
        Assert.DoesNotContain(nodes, n => n.Transcript.Contains("fenced Leader", StringComparison.Ordinal) && n != first);
    }

    [PostgresFact]
    public async Task Partitions_spread_evenly_and_rebalance_when_a_process_leaves_or_joins()
    {
        await using var cluster = new ClusterNodes(await server.CreateDatabaseAsync("partitions"), _workDirectory);
        ChildProcess[] nodes = [cluster.Start(12, leader: false), cluster.Start(12, leader: false), cluster.Start(12, leader: false)];
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([4, 4, 4]), TimeSpan.FromSeconds(60), "4 partitions each");

        nodes[0].Signal(Sigkill);
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([6, 6]),
            ClusterNodes.LeaseTimeout * 3, "6 partitions each once the killed process's leases expired");

        var replacement = cluster.Start(12, leader: false);
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([4, 4, 4]) && await Beating(replacement, 4),
            TimeSpan.FromSeconds(30), "4 partitions each once a replacement joined, and it runs its four");

        var fourth = cluster.Start(12, leader: false);
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([3, 3, 3, 3]) && await Beating(fourth, 3),
            TimeSpan.FromSeconds(30), "3 partitions each once a fourth process joined, and it runs its three");

        foreach (var node in new[] { nodes[1], nodes[2], replacement, fourth })
        {
            node.Signal(PosixSignal.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync());
        }

        await cluster.AssertNeverTwoAtOnceAsync("Parts", minimumEpochs: 1);
        Assert.Empty(await PostgresServer.QueryAsync(cluster.ConnectionString, "SELECT 1 FROM steward_members WHERE expires_at > now()"));
    }

    [PostgresFact]
    public async Task A_database_restart_loses_every_lease_and_all_are_acquired_again_without_a_second_holder()
    {
        await using var cluster = new ClusterNodes(await server.CreateDatabaseAsync("restart"), _workDirectory);
        ChildProcess[] nodes = [cluster.Start(4), cluster.Start(4)];
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([2, 2]) && await cluster.LastBeatAsync() is not null,
            TimeSpan.FromSeconds(60), "a leader and 2 partitions each");

        var held = await HoldersAsync(cluster);
        Assert.Equal(5, held.Count);

        await server.RestartAsync();

        foreach (var node in nodes)
        {
            await node.ExpectLineAsync("Cluster coordination cannot use the database", TimeSpan.FromSeconds(10)); // the connection died
        }

        // Every lease is acquired again, each with a new epoch (so each was lost and its run cancelled: the old epochs'
        // beats stop before the new ones start, checked below), and the partitions are spread as before.
        await cluster.WaitForAsync(async () => (await cluster.SharesAsync()).SequenceEqual([2, 2])
                && await HoldersAsync(cluster) is { Count: 5 } now && now.All(l => l.Value > held[l.Key]),
            TimeSpan.FromSeconds(30), "every lease acquired again after the restart, with a new epoch");
        foreach (var node in nodes)
        {
            foreach (var line in node.Transcript.Split('\n').Where(l => l.StartsWith("out: leader ", StringComparison.Ordinal)))
            {
                var run = line["out: leader ".Length..];
                if (held.Any(h => run.StartsWith($"{h.Key} epoch {h.Value} ", StringComparison.Ordinal)))
                {
                    Assert.Contains($"stopped {run}", node.Transcript, StringComparison.Ordinal); // the runs of the lost leases ended
                }
            }
        }

        foreach (var node in nodes)
        {
            node.Signal(PosixSignal.SIGTERM);
            Assert.Equal(0, await node.WaitForExitAsync());
            Assert.Contains("Cluster coordination cannot use the database", node.Transcript, StringComparison.Ordinal);
        }

        await cluster.AssertNeverTwoAtOnceAsync("Leader", minimumEpochs: 2);
        await cluster.AssertNeverTwoAtOnceAsync("Parts", minimumEpochs: 2);
    }

    [PostgresFact]
    public async Task Systemd_status_says_leader_on_the_holder_and_standby_on_the_other_and_follows_a_hand_over()
    {
        await using var cluster = new ClusterNodes(await server.CreateDatabaseAsync("status"), _workDirectory);
        using var firstSocket = new NotifySocket(isAbstract: false);
        using var secondSocket = new NotifySocket(isAbstract: false);
        var first = cluster.Start(0, leader: true, firstSocket.Address);
        await firstSocket.WaitForAsync("STATUS=1 running; Leader leader");
        var second = cluster.Start(0, leader: true, secondSocket.Address);
        var ready = await secondSocket.WaitForAsync("READY=1"); // a standby does not hold readiness back
        await secondSocket.WaitForAsync("STATUS=1 standby; Leader standby");

        first.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await first.WaitForExitAsync());
        await secondSocket.WaitForAsync("STATUS=1 running; Leader leader", after: ready);
        second.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await second.WaitForExitAsync());
    }

    /// <summary>The epoch of every unexpired lease, by "worker/partition".</summary>
    private static async Task<Dictionary<string, long>> HoldersAsync(ClusterNodes cluster) =>
        (await PostgresServer.QueryAsync(cluster.ConnectionString,
            "SELECT name || '/' || partition, epoch FROM steward_leases WHERE owner IS NOT NULL AND expires_at > now()"))
        .ToDictionary(r => (string)r[0], r => (long)r[1]);

    [UnixFact]
    public async Task An_invalid_connection_string_exits_2_naming_the_key()
    {
        await using var cluster = new ClusterNodes("Host=db;Bogus=1", _workDirectory);
        var node = cluster.Start();

        Assert.Equal(2, await node.WaitForExitAsync());
        Assert.Contains("ConnectionStrings:Steward is not a valid PostgreSQL connection string", node.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", node.Transcript, StringComparison.Ordinal); // one line, no stack trace
        Assert.DoesNotContain("leader", node.Transcript, StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="node"/>'s workers wrote beats for exactly <paramref name="partitions"/> partitions in the last 300 ms.</summary>
    private async Task<bool> Beating(ChildProcess node, int partitions)
    {
        var rows = await PostgresServer.QueryAsync(server.ConnectionString("partitions"),
            $"SELECT count(DISTINCT partition) FROM beats WHERE process = {node.Id} AND at > now() - interval '300 milliseconds'");
        return (long)rows[0][0] == partitions;
    }

    /// <summary>The node whose worker wrote the last beat of the singleton.</summary>
    private static async Task<ChildProcess> Leader(ClusterNodes cluster, ChildProcess[] nodes)
    {
        var beat = await cluster.LastBeatAsync();
        Assert.True(beat is not null, "no leader has beaten yet");
        return nodes.Single(n => n.Id == beat.Value.Process);
    }
}
