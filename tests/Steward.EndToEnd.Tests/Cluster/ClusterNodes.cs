using System.Diagnostics;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Cluster;

/// <summary>
/// Processes of the test host's "cluster" scenario against one database, and what the database says about them: who
/// holds which lease, and the beats their workers wrote (see tests/Steward.TestHost/ClusterWorkers.cs).
/// </summary>
internal sealed class ClusterNodes(string connectionString, string workDirectory) : IAsyncDisposable
{
    public static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(2);

    private readonly List<ChildProcess> _nodes = [];

    public string ConnectionString => connectionString;

    public IReadOnlyList<ChildProcess> Nodes => _nodes;

    /// <summary>Starts a node running the Leader worker as a singleton and Parts with <paramref name="partitions"/> partitions (0: disabled).</summary>
    public ChildProcess Start(int partitions = 0, bool leader = true, params string[] extra) => Start(partitions, leader, null, extra);

    /// <summary>As <see cref="Start(int, bool, string[])"/>, told by NOTIFY_SOCKET and SYSTEMD_EXEC_PID that it is a
    /// systemd service's main process when <paramref name="notifySocket"/> is given.</summary>
    public ChildProcess Start(int partitions, bool leader, string? notifySocket, params string[] extra)
    {
        var node = ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "Steward.TestHost.dll"),
        [
            "cluster", $"--ConnectionStrings:Steward={connectionString}", $"--Steward:Cluster:LeaseTimeout={LeaseTimeout}",
            "--Steward:Cluster:Group=tests", "--Steward:ShutdownTimeout=00:00:10",
            "--Steward:Workers:Leader:Cluster:Mode=Singleton", $"--Steward:Workers:Leader:Enabled={leader}",
            "--Steward:Workers:Parts:Cluster:Mode=Partitioned", $"--Steward:Workers:Parts:Cluster:Partitions={Math.Max(partitions, 1)}",
            $"--Steward:Workers:Parts:Enabled={partitions > 0}", .. extra,
        ], workingDirectory: workDirectory,
        environment: notifySocket is null ? null : new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifySocket },
        systemdExecPid: notifySocket is not null);
        _nodes.Add(node);
        return node;
    }

    /// <summary>The process that wrote the last beat of <paramref name="worker"/>/<paramref name="partition"/>, and its epoch.</summary>
    public async Task<(int Process, long Epoch)?> LastBeatAsync(string worker = "Leader", int partition = 0)
    {
        var rows = await PostgresServer.QueryAsync(connectionString,
            $"SELECT process, epoch FROM beats WHERE name = '{worker}' AND partition = {partition} ORDER BY id DESC LIMIT 1");
        return rows.Count == 0 ? null : ((int)rows[0][0], (long)rows[0][1]);
    }

    /// <summary>How many leases of <paramref name="worker"/> each live process holds, largest first.</summary>
    public async Task<int[]> SharesAsync(string worker = "Parts")
    {
        try
        {
            var rows = await PostgresServer.QueryAsync(connectionString,
                $"SELECT count(*) FROM steward_leases WHERE name = '{worker}' AND owner IS NOT NULL AND expires_at > now() GROUP BY owner");
            return [.. rows.Select(r => (int)(long)r[0]).OrderDescending()];
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
        {
            return []; // no process has created the table yet
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the transcripts if it does not in time.</summary>
    public async Task<TimeSpan> WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
            {
                return clock.Elapsed;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"not within {timeout}: {what}\n{Transcripts()}");
        return clock.Elapsed;
    }

    /// <summary>
    /// Never two at once: per lease, the beats (unfenced) and the journal (fenced) in the order the database wrote them
    /// have epochs that only grow, one process per epoch, and no process comes back after another took over.
    /// </summary>
    public async Task AssertNeverTwoAtOnceAsync(string worker, int minimumEpochs)
    {
        foreach (var table in new[] { "beats", "journal" })
        {
            var rows = await PostgresServer.QueryAsync(connectionString,
                $"SELECT partition, epoch, process FROM {table} WHERE name = '{worker}' ORDER BY id");
            Assert.NotEmpty(rows);
            foreach (var lease in rows.GroupBy(r => (int)r[0]))
            {
                var runs = new List<(long Epoch, int Process)>();
                foreach (var row in lease)
                {
                    var (epoch, process) = ((long)row[1], (int)row[2]);
                    if (runs.Count > 0 && runs[^1] == (epoch, process))
                    {
                        continue;
                    }

                    if (runs.Count > 0 && epoch <= runs[^1].Epoch)
                    {
                        Assert.Fail($"{table} of {worker}/{lease.Key}: epoch {epoch} of process {process} after epoch {runs[^1].Epoch} of process {runs[^1].Process}: {string.Join(", ", runs)}\n{Transcripts()}");
                    }

                    runs.Add((epoch, process));
                }

                if (lease.Key == 0)
                {
                    Assert.True(runs.Count >= minimumEpochs, $"{table} of {worker}/0: expected at least {minimumEpochs} holders, got {string.Join(", ", runs)}");
                }
            }
        }
    }

    public string Transcripts() => string.Join("\n", _nodes.Select(n => $"--- node {n.Id} ---\n{n.Transcript}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
