using System.Diagnostics;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>The WorkerDemo published by <c>deploy/publish.sh</c> (self-contained, single file, ReadyToRun), once per run.</summary>
public sealed class PublishedDemo : IDisposable
{
    private readonly Lazy<string> _directory;

    public PublishedDemo() => _directory = new Lazy<string>(Publish);

    /// <summary>The repository's root (the folder holding Hosting.sln).</summary>
    public static string RepositoryRoot => Repository.Root;

    /// <summary>The published folder (publishing on first use).</summary>
    public string Directory => _directory.Value;

    public void Dispose()
    {
        if (_directory.IsValueCreated)
        {
            System.IO.Directory.Delete(_directory.Value, recursive: true);
        }
    }

    private static string Publish()
    {
        var output = System.IO.Directory.CreateTempSubdirectory("steward-published-").FullName;
        using var publish = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepositoryRoot, "deploy", "publish.sh"), output },
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var log = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(8)) || publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/publish.sh failed:\n{log.Result}\n{errors.Result}");
        }

        Assert.True(File.Exists(Path.Combine(output, "WorkerDemo")), $"no WorkerDemo executable in {output}:\n{log.Result}");
        return output;
    }
}
