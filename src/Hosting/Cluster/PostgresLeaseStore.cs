using System.Data;
using System.Diagnostics;
using Npgsql;

namespace Steward.Hosting;

/// <summary>
/// The lease table in PostgreSQL, over one connection of its own (no pool): everything a coordination tick needs in one
/// round trip (an <see cref="NpgsqlBatch"/>), and waiting for other processes' notifications in between.
/// </summary>
/// <remarks>
/// <para>
/// Two tables, created on first use: <c>steward_leases</c> (one row per group, worker and partition: holder, epoch,
/// expiry, last renewal) and <c>steward_members</c> (one row per group, partitioned worker and live process, with its
/// expiry). The database's clock (<c>now()</c>) is the only one that decides expiry; a row whose holder is gone simply
/// expires. Every change of holder goes through a row lock (<c>FOR UPDATE SKIP LOCKED</c>, then <c>UPDATE</c>), so two
/// processes can never both acquire a lease, and <c>epoch</c> grows by one at each acquisition.
/// </para>
/// <para>Not thread-safe: the coordinator's loop is its only caller.</para>
/// </remarks>
[DebuggerDisplay("PostgreSQL leases of {_group,nq} as {_owner,nq}: {_connection?.State}")]
internal sealed class PostgresLeaseStore(string connectionString, string group, string owner, TimeSpan leaseTimeout) : IAsyncDisposable
{
    /// <summary>The notification channel: a release or a new member wakes the other processes of the group.</summary>
    public const string Channel = "steward_leases";

    private const string Schema = """
        SELECT pg_advisory_xact_lock(hashtext('steward_leases'));
        CREATE TABLE IF NOT EXISTS steward_leases (
            lease_group text NOT NULL,
            name text NOT NULL,
            partition integer NOT NULL,
            owner text,
            epoch bigint NOT NULL DEFAULT 0,
            expires_at timestamptz NOT NULL DEFAULT '-infinity',
            renewed_at timestamptz,
            PRIMARY KEY (lease_group, name, partition));
        CREATE TABLE IF NOT EXISTS steward_members (
            lease_group text NOT NULL,
            name text NOT NULL,
            owner text NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (lease_group, name, owner));
        """;

    private const string EnsureRows = """
        INSERT INTO steward_leases (lease_group, name, partition)
        SELECT @group, w.name, p FROM unnest(@names::text[], @counts::integer[]) AS w(name, n), generate_series(0, w.n - 1) AS p
        ON CONFLICT DO NOTHING
        """;

    private const string Forget = "DELETE FROM steward_members WHERE lease_group = @group AND expires_at < now() - interval '1 hour'";

    private const string Release = """
        UPDATE steward_leases l SET owner = NULL, expires_at = '-infinity', renewed_at = now()
        FROM unnest(@names::text[], @parts::integer[], @epochs::bigint[]) AS h(name, partition, epoch)
        WHERE l.lease_group = @group AND l.name = h.name AND l.partition = h.partition AND l.epoch = h.epoch AND l.owner = @owner
        RETURNING l.partition
        """;

    private const string Notify = "SELECT pg_notify('" + Channel + "', @group)";

    private const string Renew = """
        UPDATE steward_leases l SET expires_at = now() + @ttl, renewed_at = now()
        FROM unnest(@names::text[], @parts::integer[], @epochs::bigint[]) AS h(name, partition, epoch)
        WHERE l.lease_group = @group AND l.name = h.name AND l.partition = h.partition AND l.epoch = h.epoch
          AND l.owner = @owner AND l.expires_at > now()
        RETURNING l.name, l.partition
        """;

    // A member that joins (no live row before: a new one, or one that had expired) tells the others, so holders rebalance
    // at once. Every part of the statement sees the rows as they were before it (one snapshot).
    private const string Heartbeat = """
        WITH prev AS (
            SELECT count(*) AS live FROM steward_members
            WHERE lease_group = @group AND owner = @owner AND name = ANY(@names) AND expires_at > now()),
        up AS (
            INSERT INTO steward_members (lease_group, name, owner, expires_at)
            SELECT @group, n, @owner, now() + @ttl FROM unnest(@names::text[]) AS n
            ON CONFLICT (lease_group, name, owner) DO UPDATE SET expires_at = excluded.expires_at
            RETURNING 1)
        SELECT pg_notify('steward_leases', @group) FROM prev WHERE prev.live < cardinality(@names) AND EXISTS (SELECT 1 FROM up)
        """;

    private const string CountMembers = """
        SELECT name, count(*)::integer, (count(*) FILTER (WHERE owner < @owner))::integer
        FROM steward_members WHERE lease_group = @group AND name = ANY(@names) AND expires_at > now()
        GROUP BY name
        """;

    // The share of a partitioned worker: partitions / members, one more for the first (partitions % members) members in
    // the order of their names, so every process computes the same split from the same rows. Free or expired rows are
    // taken by partition; SKIP LOCKED keeps two processes
    // acquiring at the same moment off each other's rows, and the UPDATE's row lock makes the acquisition exclusive.
    private const string Acquire = """
        WITH m AS (
            SELECT count(*)::integer AS total, (count(*) FILTER (WHERE owner < @owner))::integer AS rank
            FROM steward_members WHERE lease_group = @group AND name = @name AND expires_at > now()),
        f AS (
            SELECT partition, epoch AS prev_epoch, renewed_at AS prev_renewed
            FROM steward_leases
            WHERE lease_group = @group AND name = @name AND partition = ANY(@ready) AND expires_at <= now()
            ORDER BY partition
            LIMIT GREATEST((SELECT CASE WHEN @partitioned
                THEN @partitions / GREATEST(total, 1) + CASE WHEN rank < @partitions % GREATEST(total, 1) THEN 1 ELSE 0 END
                ELSE 1 END FROM m) - @held, 0)
            FOR UPDATE SKIP LOCKED)
        UPDATE steward_leases l SET owner = @owner, epoch = l.epoch + 1, expires_at = now() + @ttl, renewed_at = now()
        FROM f WHERE l.lease_group = @group AND l.name = @name AND l.partition = f.partition
        RETURNING l.partition, l.epoch,
            CASE WHEN f.prev_epoch > 0 AND f.prev_renewed IS NOT NULL THEN extract(epoch FROM now() - f.prev_renewed)::float8 END
        """;

    private const string ReadHolders = """
        SELECT name, partition, owner, epoch, extract(epoch FROM expires_at - now())::float8
        FROM steward_leases WHERE lease_group = @group AND name = ANY(@names) AND expires_at > now() AND owner IS NOT NULL
        """;

    private const string Leave = """
        WITH gone AS (DELETE FROM steward_members WHERE lease_group = @group AND owner = @owner RETURNING 1)
        SELECT count(*) FROM gone
        """;

    private NpgsqlConnection? _connection;
    private int _notified;

    /// <summary>Whether the connection is open (it may still be found broken by the next command).</summary>
    public bool IsOpen => _connection?.FullState is ConnectionState.Open;

    /// <summary>The coordination connection's settings: the user's, with no pool (the connection is ours alone and is
    /// closed for real), timeouts within a third of the lease timeout, TCP keepalives on, and an application name naming this process (<c>steward host/pid/random</c>, as <c>pg_stat_activity</c> shows it).</summary>
    public static NpgsqlConnectionStringBuilder Settings(string connectionString, TimeSpan leaseTimeout, string owner)
    {
        var third = Math.Clamp((int)Math.Ceiling(leaseTimeout.TotalSeconds / 3), 1, 15);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Multiplexing = false,
            Timeout = third,
            CommandTimeout = third,
            CancellationTimeout = 1000,
            TcpKeepAlive = true,
        };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "steward " + owner;
        }

        return builder;
    }

    /// <summary>Opens the connection, creates the tables if missing, ensures a row per lease of <paramref name="workers"/>,
    /// and listens for notifications. Throws (and leaves the store closed) when any of it fails.</summary>
    public async Task OpenAsync(IReadOnlyList<(string Worker, int Partitions)> workers, CancellationToken cancellationToken)
    {
        await CloseAsync().ConfigureAwait(false);
        var connection = new NpgsqlConnection(Settings(connectionString, leaseTimeout, owner).ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            connection.Notification += (_, e) =>
            {
                if (e.PID != connection.ProcessID && e.Payload == group)
                {
                    Volatile.Write(ref _notified, 1);
                }
            };

            using (var schema = new NpgsqlCommand(Schema, connection))
            {
                using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                schema.Transaction = transaction;
                await schema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            using var batch = new NpgsqlBatch(connection);
            var rows = Command(batch, EnsureRows);
            rows.Parameters.AddWithValue("names", workers.Select(w => w.Worker).ToArray());
            rows.Parameters.AddWithValue("counts", workers.Select(w => w.Partitions).ToArray());
            Command(batch, Forget);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("LISTEN " + Channel));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            ClusterMetrics.RoundTrips(4); // open, schema (begin, statements, commit are pipelined: count them as two), batch
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _connection = connection;
    }

    /// <summary>One coordination round trip: releases, renewals, membership, acquisitions, the holders' snapshot.</summary>
    public async Task<LeaseTickResult> TickAsync(LeaseTickRequest request, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("The coordination connection is not open.");
        var result = new LeaseTickResult();
        using var batch = new NpgsqlBatch(connection);
        if (request.Releases.Count > 0)
        {
            Keys(Command(batch, Release), request.Releases);
            Command(batch, Notify);
        }

        if (request.Renewals.Count > 0)
        {
            Keys(Command(batch, Renew), request.Renewals).Parameters.AddWithValue("ttl", leaseTimeout);
        }

        if (request.Members.Count > 0)
        {
            var heartbeat = Command(batch, Heartbeat);
            heartbeat.Parameters.AddWithValue("names", request.Members.ToArray());
            heartbeat.Parameters.AddWithValue("ttl", leaseTimeout);
            Command(batch, CountMembers).Parameters.AddWithValue("names", request.Members.ToArray());
        }

        foreach (var want in request.Wants)
        {
            var acquire = Command(batch, Acquire);
            acquire.Parameters.AddWithValue("name", want.Worker);
            acquire.Parameters.AddWithValue("ready", want.Ready);
            acquire.Parameters.AddWithValue("partitioned", want.Mode == ClusterMode.Partitioned);
            acquire.Parameters.AddWithValue("partitions", want.Partitions);
            acquire.Parameters.AddWithValue("held", want.Held);
            acquire.Parameters.AddWithValue("ttl", leaseTimeout);
        }

        if (request.Snapshot.Count > 0)
        {
            Command(batch, ReadHolders).Parameters.AddWithValue("names", request.Snapshot.ToArray());
        }

        if (batch.BatchCommands.Count == 0)
        {
            return result;
        }

        ClusterMetrics.RoundTrips(1);
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await ReadAsync(reader, request, result, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static async Task ReadAsync(NpgsqlDataReader reader, LeaseTickRequest request, LeaseTickResult result, CancellationToken cancellationToken)
    {
        // Every statement returns a result set (RETURNING or SELECT), read in the order they were added.
        if (request.Releases.Count > 0)
        {
            await SkipAsync(reader, cancellationToken).ConfigureAwait(false); // released rows
            await SkipAsync(reader, cancellationToken).ConfigureAwait(false); // the notification
        }

        if (request.Renewals.Count > 0)
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Renewed.Add((reader.GetString(0), reader.GetInt32(1)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        if (request.Members.Count > 0)
        {
            await SkipAsync(reader, cancellationToken).ConfigureAwait(false); // the heartbeat
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Members[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt32(2));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var want in request.Wants)
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Acquired.Add((new LeaseKey(want.Worker, reader.GetInt32(0), reader.GetInt64(1)), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        if (request.Snapshot.Count > 0)
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Held.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3), reader.GetDouble(4)));
            }
        }
    }

    /// <summary>
    /// Waits until another process of the group notifies (true), <paramref name="cancellationToken"/> is cancelled or
    /// the connection breaks (throws). A notification that arrived during the last tick counts at once.
    /// </summary>
    public async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("The coordination connection is not open.");
        while (Interlocked.Exchange(ref _notified, 0) == 0)
        {
            try
            {
                await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Interlocked.Exchange(ref _notified, 0) == 1;
            }
        }

        return true;
    }

    /// <summary>Releases <paramref name="releases"/>, leaves every membership and notifies the group: the graceful exit.
    /// False when there is no connection to do it on.</summary>
    public async Task<bool> LeaveAsync(IReadOnlyList<LeaseKey> releases, CancellationToken cancellationToken)
    {
        if (_connection is not { } connection)
        {
            return false;
        }

        using var batch = new NpgsqlBatch(connection);
        if (releases.Count > 0)
        {
            Keys(Command(batch, Release), releases);
        }

        Command(batch, Leave);
        Command(batch, Notify);
        ClusterMetrics.RoundTrips(1);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Closes the connection (the server ends the backend and its LISTEN); the store can be opened again.</summary>
    public async Task CloseAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or ObjectDisposedException)
            {
                // Broken already: nothing more to close.
            }
        }
    }

    public ValueTask DisposeAsync() => new(CloseAsync());

    private NpgsqlBatchCommand Command(NpgsqlBatch batch, string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("group", group);
        if (sql.Contains("@owner", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("owner", owner);
        }

        batch.BatchCommands.Add(command);
        return command;
    }

    private static NpgsqlBatchCommand Keys(NpgsqlBatchCommand command, IReadOnlyList<LeaseKey> keys)
    {
        command.Parameters.AddWithValue("names", keys.Select(k => k.Worker).ToArray());
        command.Parameters.AddWithValue("parts", keys.Select(k => k.Partition).ToArray());
        command.Parameters.AddWithValue("epochs", keys.Select(k => k.Epoch).ToArray());
        return command;
    }

    private static async Task SkipAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
    }
}
