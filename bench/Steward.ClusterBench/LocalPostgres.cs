using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Steward.ClusterBench;

/// <summary>A throw-away PostgreSQL server on 127.0.0.1 (initdb + pg_ctl, as the postgres user when run as root).</summary>
internal sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder = Directory.CreateTempSubdirectory("steward-bench-pg-").FullName;
    private readonly int _port;

    private LocalPostgres(string bin, int port)
    {
        _bin = bin;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=steward;Database=postgres";

    public static async Task<LocalPostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl)");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = new LocalPostgres(bin, ((IPEndPoint)listener.LocalEndpoint).Port);
        listener.Stop();
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres", server._folder);
        }

        await server.PgAsync("initdb", "-D", server.Data, "-A", "trust", "-U", "steward", "--no-sync");
        await server.PgAsync("pg_ctl", "-D", server.Data, "start", "-w", "-l", Path.Combine(server._folder, "log"), "-o",
            $"-p {server._port} -k {server._folder} -c listen_addresses=127.0.0.1 -c fsync=off");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await PgAsync("pg_ctl", "-D", Data, "stop", "-m", "immediate", "-w");
        Directory.Delete(_folder, recursive: true);
    }

    private string Data => Path.Combine(_folder, "data");

    private Task PgAsync(string program, params string[] arguments) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, program), .. arguments])
        : RunAsync(Path.Combine(_bin, program), arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {output}");
        }
    }
}
