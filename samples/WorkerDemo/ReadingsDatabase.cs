using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Steward;
using Steward.Coordination;

namespace WorkerDemo;

/// <summary>
/// The readings store: a SQLite file in WAL mode, shared by the ingest manager and the maintenance jobs. A
/// <see cref="MultiOpen"/> registered with <c>AddMultiOpen</c>: the host opens it before anything starts and closes it
/// after everything stopped, and each user holds a lease in between, so the file opens once and closes once.
/// </summary>
internal sealed partial class ReadingsDatabase(
    IOptions<DemoOptions> options, IHostEnvironment environment, ILogger<ReadingsDatabase> logger)
    : MultiOpen("readings")
{
    private readonly SemaphoreSlim _gate = new(1, 1); // one SqliteConnection: one command at a time
    private SqliteConnection? _connection;

    /// <summary>The database file's full path: a relative <see cref="DemoOptions.DatabasePath"/> is under the service's
    /// state directory when systemd gives one (<c>StateDirectory=</c> sets <c>STATE_DIRECTORY</c>), else under
    /// <c>data/</c> in the content root.</summary>
    public string FilePath { get; } = Path.GetFullPath(options.Value.DatabasePath, DataDirectory(environment));

    /// <summary>Readings in the file when it was opened, before this run stored any.</summary>
    public long StoredBefore { get; private set; }

    /// <summary>Stores <paramref name="readings"/> in one transaction: all of them, or (if it throws) none.</summary>
    public async Task InsertAsync(IReadOnlyList<Reading> readings, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = (SqliteTransaction)await _connection!.BeginTransactionAsync(cancellationToken);
            await using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO readings (sensor, value, at) VALUES ($sensor, $value, $at)";
            var sensor = insert.Parameters.Add("$sensor", SqliteType.Text);
            var value = insert.Parameters.Add("$value", SqliteType.Real);
            var at = insert.Parameters.Add("$at", SqliteType.Integer);
            foreach (var reading in readings)
            {
                sensor.Value = reading.Sensor;
                value.Value = reading.Value;
                at.Value = reading.At.ToUnixTimeMilliseconds();
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>How many readings the file holds.</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await CountAsync(_connection!, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Compaction: folds the write-ahead log back into the file and truncates it.</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var checkpoint = _connection!.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Retention: deletes readings older than <paramref name="cutoff"/>; returns how many went.</summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var delete = _connection!.CreateCommand();
            delete.CommandText = "DELETE FROM readings WHERE at < $cutoff";
            delete.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // the final close really closes the file
        }.ToString());
        shutdown.Push(connection);
        await connection.OpenAsync(cancellationToken);

        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL;";
            var mode = (string?)await setup.ExecuteScalarAsync(cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL mode for {FilePath} (journal_mode={mode}).");
            }

            setup.CommandText = """
                CREATE TABLE IF NOT EXISTS readings (
                    id INTEGER PRIMARY KEY, sensor TEXT NOT NULL, value REAL NOT NULL, at INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS readings_at ON readings (at);
                """;
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        _connection = connection;
        StoredBefore = await CountAsync(connection, cancellationToken);
        LogOpened(FilePath, StoredBefore);

        // Runs at the final close, before the connection (pushed first) is disposed.
        shutdown.Defer(async () =>
        {
            var total = await CountAsync(connection, CancellationToken.None);
            _connection = null;
            LogClosed(FilePath, total - StoredBefore, total);
        });
    }

    private static string DataDirectory(IHostEnvironment environment) =>
        Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state
            ? state.Split(':')[0] // several StateDirectory= entries: the first
            : Path.Combine(environment.ContentRootPath, "data");

    private static async Task<long> CountAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM readings";
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the readings database {Path} (WAL mode, {Stored} readings stored)")]
    private partial void LogOpened(string path, long stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the readings database {Path}: {Written} readings written this run, {Total} stored in all")]
    private partial void LogClosed(string path, long written, long total);
}
