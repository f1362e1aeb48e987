using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Steward;
using Steward.Coordination;

namespace WorkerDemo;

/// <summary>
/// The readings store: a SQLite file in WAL mode, shared by every worker. A <see cref="MultiOpen"/> registered with
/// <c>AddMultiOpen</c>: the host opens it before anything starts and closes it after everything stopped, and each
/// worker's scope holds an <c>Opened&lt;ReadingsDatabase&gt;</c> lease in between, so the file opens and closes once.
/// </summary>
internal sealed partial class ReadingsDatabase(
    IOptions<DemoOptions> options, IHostEnvironment environment, ILogger<ReadingsDatabase> logger)
    : MultiOpen("readings")
{
    private readonly SemaphoreSlim _gate = new(1, 1); // one SqliteConnection: one command at a time
    private SqliteConnection? _connection;
    private long _written;

    /// <summary>The database file's full path: a relative <see cref="DemoOptions.DatabasePath"/> is under the service's
    /// state directory when systemd gives one (<c>StateDirectory=</c> sets <c>STATE_DIRECTORY</c>), else under
    /// <c>data/</c> in the content root.</summary>
    public string FilePath { get; } = Path.GetFullPath(options.Value.DatabasePath, DataDirectory(environment));

    private static string DataDirectory(IHostEnvironment environment) =>
        Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state
            ? state.Split(':')[0] // several StateDirectory= entries: the first
            : Path.Combine(environment.ContentRootPath, "data");

    public async Task InsertAsync(Reading reading, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var insert = _connection!.CreateCommand();
            insert.CommandText = "INSERT INTO readings (sensor, value, at) VALUES ($sensor, $value, $at)";
            insert.Parameters.AddWithValue("$sensor", reading.Sensor);
            insert.Parameters.AddWithValue("$value", reading.Value);
            insert.Parameters.AddWithValue("$at", reading.At.ToUnixTimeMilliseconds());
            await insert.ExecuteNonQueryAsync(cancellationToken);
            _written++;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<ReadingSummary>> SummarizeAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var query = _connection!.CreateCommand();
            query.CommandText = """
                SELECT sensor, COUNT(*), AVG(value), MAX(value) FROM readings
                WHERE at >= $since GROUP BY sensor ORDER BY sensor
                """;
            query.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            var summaries = new List<ReadingSummary>();
            await using var rows = await query.ExecuteReaderAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                summaries.Add(new ReadingSummary(rows.GetString(0), rows.GetInt64(1), rows.GetDouble(2), rows.GetDouble(3)));
            }

            return summaries;
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
        _written = 0;
        LogOpened(FilePath);

        // Runs at the final close, before the connection (pushed first) is disposed.
        shutdown.Defer(async () =>
        {
            var total = await CountAsync(connection);
            _connection = null;
            LogClosed(FilePath, _written, total);
        });
    }

    private static async Task<long> CountAsync(SqliteConnection connection)
    {
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM readings";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the readings database {Path} (WAL mode)")]
    private partial void LogOpened(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the readings database {Path}: {Written} readings written this run, {Total} stored in all")]
    private partial void LogClosed(string path, long written, long total);
}
