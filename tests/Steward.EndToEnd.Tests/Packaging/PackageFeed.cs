using System.Diagnostics;
using System.Xml.Linq;
using Steward.EndToEnd.Tests.Systemd;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Packaging;

/// <summary>
/// Every package of the repository (<c>Packages.slnf</c>) packed once per test class into a temp folder, built in a folder
/// of its own (<c>--artifacts-path</c>, so the repository's bin/ and obj/ are not touched), with a package cache of its
/// own for whatever restores from it.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    private readonly Lazy<string> _feed;

    public PackageFeed()
    {
        Root = Directory.CreateTempSubdirectory("steward-packages-").FullName;
        _feed = new Lazy<string>(Pack);
    }

    /// <summary>The package ids, in dependency order.</summary>
    public static IReadOnlyList<string> Packages { get; } = ["Steward.Core", "Steward.Hosting", "Steward.Hosting.OpenTelemetry", "Steward.Templates"];

    /// <summary>The version every package has (Directory.Build.props' VersionPrefix).</summary>
    public static string Version =>
        XDocument.Load(Path.Combine(PublishedDemo.RepositoryRoot, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;

    /// <summary>The temp folder: the feed, the build, the package cache and whatever a test makes there.</summary>
    public string Root { get; }

    /// <summary>The folder holding the .nupkg and .snupkg files (packing on first use).</summary>
    public string Feed => _feed.Value;

    public void Dispose() => Directory.Delete(Root, recursive: true);

    /// <summary>Runs <c>dotnet</c> in <paramref name="workingDirectory"/> with the package cache under
    /// <paramref name="root"/> and no telemetry; fails with its output unless it exits 0.</summary>
    public static async Task<string> DotnetAsync(string root, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (arguments[0] is "pack" or "build")
        {
            start.ArgumentList.Add("-nodeReuse:false"); // no build server outlives the test
        }

        // A package cache of the test's own: a Steward package of the same version cached earlier is never used.
        start.Environment["NUGET_PACKAGES"] = Path.Combine(root, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        foreach (var inherited in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            start.Environment.Remove(inherited); // set by the test run's own dotnet; the child finds its own
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        var text = await output + await errors;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text;
    }

    private string Pack()
    {
        var feed = Path.Combine(Root, "feed");
        DotnetAsync(Root, PublishedDemo.RepositoryRoot, "pack", Path.Combine(PublishedDemo.RepositoryRoot, "Packages.slnf"),
            "-c", "Release", "-o", feed, "--artifacts-path", Path.Combine(Root, "build")).GetAwaiter().GetResult();
        return feed;
    }
}
