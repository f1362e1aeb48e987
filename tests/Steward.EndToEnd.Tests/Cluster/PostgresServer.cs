using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Steward.EndToEnd.Tests.Cluster;

/// <summary>
/// A private PostgreSQL cluster for one test class: <c>initdb</c> into a temporary folder and <c>pg_ctl start</c> on
/// 127.0.0.1 at a free port, trusting local connections, as the <c>postgres</c> user when the tests run as root (the server
/// refuses to run as root). Stopped (immediately) and deleted on dispose. <see cref="Unavailable"/> says why it cannot
/// run here, for tests to skip with.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private static readonly Lazy<string?> s_bin = new(FindBin);
    private string _folder = "";

    /// <summary>Why no server can be started here (no PostgreSQL installed), or null.</summary>
    public static string? Unavailable => s_bin.Value is null
        ? "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl); .ci/run installs the Debian package postgresql"
        : null;

    public int Port { get; private set; }

    public string Folder => _folder;

    /// <summary>A connection string to <paramref name="database"/> as the superuser <c>steward</c>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=steward;Database={database};Pooling=false;Timeout=5";

    public async Task InitializeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        _folder = Directory.CreateTempSubdirectory("steward-pg-").FullName;
        Port = FreePort();
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", _folder);
        }

        await PgAsync(Path.Combine(s_bin.Value!, "initdb"), "-D", Data, "-A", "trust", "-U", "steward", "--no-sync");
        await StartAsync();
    }

    public Task StartAsync() => PgCtlAsync("start", "-w", "-t", "30", "-l", Path.Combine(_folder, "log"), "-o", Options);

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is ended, the server comes back on the same port.</summary>
    public Task RestartAsync() => PgCtlAsync("restart", "-m", "fast", "-w", "-t", "30", "-l", Path.Combine(_folder, "log"), "-o", Options);

    // The server's output goes to the log file (-l): a server holding the test's pipes open would hang the reads.
    private string Options => $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off";

    public async Task DisposeAsync()
    {
        if (_folder.Length == 0)
        {
            return;
        }

        try
        {
            await PgCtlAsync("stop", "-m", "immediate", "-w");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Creates a database with the tables the test host's clustered worker writes to, and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await ExecuteAsync(ConnectionString(), $"CREATE DATABASE {name}");
        var connectionString = ConnectionString(name);
        await ExecuteAsync(connectionString, """
            CREATE TABLE fence (name text, partition integer, epoch bigint, PRIMARY KEY (name, partition));
            CREATE TABLE journal (id bigserial PRIMARY KEY, name text, partition integer, epoch bigint, process integer, at timestamptz);
            CREATE TABLE beats (id bigserial PRIMARY KEY, name text, partition integer, epoch bigint, process integer, at timestamptz);
            """);
        return connectionString;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<List<object[]>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    private string Data => Path.Combine(_folder, "data");

    private Task PgCtlAsync(params string[] arguments) => PgAsync(Path.Combine(s_bin.Value!, "pg_ctl"), ["-D", Data, .. arguments]);

    private static Task PgAsync(string program, params string[] arguments) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments])
        : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindBin() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
        : null;
}

/// <summary>A test that needs a PostgreSQL server: reported skipped, with the reason, where none is installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs POSIX signals and a local PostgreSQL";
        }
        else if (PostgresServer.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
