using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Steward.EndToEnd.Tests.Systemd;
using Steward.Testing;

namespace Steward.EndToEnd.Tests.Packaging;

/// <summary>
/// The newcomer's path, for real: pack every package to a local folder, install the template package from it into a
/// private template hive, <c>dotnet new steward-worker</c>, build the generated project against the packed packages
/// (through a NuGet.config in the temp folder only, and a package cache of its own so nothing stale is used) with
/// warnings as errors, run it, and stop it with SIGTERM: exit code 0.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class TemplateTests(PackageFeed packages) : IClassFixture<PackageFeed>
{
    private string Root => packages.Root;

    [UnixFact]
    public async Task The_template_generates_a_service_that_builds_without_warnings_runs_and_stops_with_exit_code_0()
    {
        var feed = packages.Feed;
        var version = PackageFeed.Version;
        foreach (var package in PackageFeed.Packages)
        {
            Assert.True(File.Exists(Path.Combine(feed, $"{package}.{version}.nupkg")), $"{package} {version} was not packed");
        }

        await File.WriteAllTextAsync(Path.Combine(Root, "NuGet.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="steward-local" value="feed" />
              </packageSources>
            </configuration>
            """);
        var hive = Path.Combine(Root, "hive");
        await PackageFeed.DotnetAsync(Root, Root, "new", "install", Path.Combine(feed, $"Steward.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
        await PackageFeed.DotnetAsync(Root, Root, "new", "steward-worker", "-n", "Probe", "-o", "Probe", "--debug:custom-hive", hive);
        var project = Path.Combine(Root, "Probe");
        Assert.True(File.Exists(Path.Combine(project, "Probe.csproj")));
        Assert.True(File.Exists(Path.Combine(project, "Probe.service")));

        var build = await PackageFeed.DotnetAsync(Root, project, "build", "-c", "Release", "-p:TreatWarningsAsErrors=true");
        Assert.Matches(@"\b0 Warning\(s\)", build);
        Assert.DoesNotMatch(@": warning [A-Z]+\d+", build);

        await using var service = ChildProcess.Start(Path.Combine(project, "bin", "Release", "net10.0", "Probe.dll"), [], workingDirectory: project);
        await service.ExpectAllAsync("Worker#0 started", "Round 1 done", "Application started");
        service.Signal(PosixSignal.SIGTERM);
        Assert.Equal(0, await service.WaitForExitAsync());
        Assert.Contains("Application stopped, exit code 0", service.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_package_carries_its_readme_the_MIT_license_and_symbols()
    {
        var feed = packages.Feed;
        var version = PackageFeed.Version;
        foreach (var package in PackageFeed.Packages)
        {
            using var nupkg = ZipFile.OpenRead(Path.Combine(feed, $"{package}.{version}.nupkg"));
            var nuspec = XDocument.Load(nupkg.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Meta(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

            Assert.Equal("MIT", Meta("license"));
            Assert.Equal("README.md", Meta("readme"));
            Assert.Contains(nupkg.Entries, e => e.FullName == "README.md");
            Assert.False(string.IsNullOrWhiteSpace(Meta("description")) || Meta("description") == "Package Description", $"{package} has no description");
            if (package != "Steward.Templates")
            {
                Assert.Contains(nupkg.Entries, e => e.FullName == $"lib/net10.0/{package}.xml"); // XML docs for IntelliSense
                Assert.True(File.Exists(Path.Combine(feed, $"{package}.{version}.snupkg")), $"{package} has no symbol package");
            }
        }
    }

    [Fact]
    public void The_templates_package_references_match_the_repositorys_versions()
    {
        // The generated project names versions literally; they must be the ones this repository builds and tests with.
        var root = PublishedDemo.RepositoryRoot;
        var central = XDocument.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        var template = XDocument.Load(Path.Combine(root, "templates", "Steward.Templates", "content", "steward-worker", "StewardWorker.csproj"));
        var references = template.Descendants("PackageReference").ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var id = (string)reference.Attribute("Include")!;
            var expected = id.StartsWith("Steward.", StringComparison.Ordinal) ? PackageFeed.Version : central[id];
            Assert.Equal(expected, (string)reference.Attribute("Version")!);
        }
    }
}
