using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Steward.Testing;

namespace Steward.Hosting.Tests.Docs;

/// <summary>
/// Every C# snippet in the repository's Markdown (README.md, docs/, the packages' READMEs, deploy/) is compiled here, as a
/// file of a new project would be: <c>Microsoft.NET.Sdk</c>'s implicit usings, nullable on, warnings as errors, against
/// Steward's assemblies and the packages the tests reference. A fence <c>```csharp run</c> also runs it (it must end by
/// itself, returning 0); <c>```csharp file=PATH</c> must equal that file of the repository, which the build compiles.
/// </summary>
public sealed partial class SnippetTests
{
    // What ImplicitUsings=enable gives a Microsoft.NET.Sdk project: snippets may rely on these, and only these.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    private static readonly Lazy<ISourceGenerator[]> s_generators = new(() =>
    {
        // Microsoft.Extensions.Logging.Abstractions carries the [LoggerMessage] generator, as an analyzer of its package.
        var version = typeof(Microsoft.Extensions.Logging.ILogger).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "microsoft.extensions.logging.abstractions", version, "analyzers", "dotnet", "roslyn4.4", "cs",
            "Microsoft.Extensions.Logging.Generators.dll");
        Assert.True(File.Exists(path), $"the logging source generator is not at {path}");
        return new AnalyzerFileReference(path, new GeneratorLoader()).GetGenerators(LanguageNames.CSharp).ToArray();
    });

    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var snippet in Snippet.All(RepositoryRoot))
        {
            data.Add(snippet.Id);
        }

        return data;
    }

    [Fact]
    public void The_documents_hold_snippets_and_some_run()
    {
        var all = Snippet.All(RepositoryRoot);
        Assert.True(all.Count >= 10, $"only {all.Count} C# snippets found");
        Assert.Contains(all, s => s.Run);
        Assert.Contains(all, s => s.Id.StartsWith("README.md", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task Each_snippet_compiles_and_runs_where_it_says_so(string id)
    {
        var snippet = Snippet.All(RepositoryRoot).Single(s => s.Id == id);
        if (snippet.File is { } file)
        {
            var actual = File.ReadAllText(Path.Combine(RepositoryRoot, file)).ReplaceLineEndings("\n");
            Assert.True(actual == snippet.Code, $"{id} is not {file} as it is");
            return;
        }

        var tree = CSharpSyntaxTree.ParseText(snippet.Code, s_parse, path: id);
        var program = tree.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Snippet_" + Guid.NewGuid().ToString("N"),
            [tree, CSharpSyntaxTree.ParseText(ImplicitUsings, s_parse, path: "ImplicitUsings.cs")],
            s_references.Value,
            new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error,
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic>
                {
                    ["CS8019"] = ReportDiagnostic.Suppress, // an unnecessary using (the implicit ones)
                    ["CS1701"] = ReportDiagnostic.Suppress, // assembly unification (implementation assemblies)
                    ["CS1702"] = ReportDiagnostic.Suppress,
                }));

        // The source generators a project gets from its package references: [LoggerMessage].
        CSharpGeneratorDriver.Create(s_generators.Value, parseOptions: s_parse).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        using var image = new MemoryStream();
        var emitted = generated.Emit(image);
        var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(emitted.Success && problems.Count == 0,
            $"{id} does not compile:\n{string.Join('\n', problems)}\n\n{Numbered(snippet.Code)}");

        if (snippet.Run)
        {
            Assert.True(program, $"{id} is marked run but has no top-level statements");
            var context = new AssemblyLoadContext(id, isCollectible: true);
            try
            {
                image.Position = 0;
                var entry = context.LoadFromStream(image).EntryPoint!;
                var result = entry.Invoke(null, entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
                var exit = result switch
                {
                    Task<int> code => await code.WaitAsync(TimeSpan.FromSeconds(30)),
                    Task done => await done.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => 0, TaskScheduler.Default),
                    int code => code,
                    _ => 0,
                };
                Assert.Equal(0, exit);
            }
            finally
            {
                context.Unload();
            }
        }
    }

    private static readonly CSharpParseOptions s_parse = new(LanguageVersion.Preview);

    private static string RepositoryRoot => Repository.Root;

    private sealed class GeneratorLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }

    private static string Numbered(string code) =>
        string.Join('\n', code.Split('\n').Select((line, i) => $"{i + 1,3}  {line}"));

    /// <summary>One fenced C# block: where it is (file:line), its code, and what its fence asks.</summary>
    private sealed partial record Snippet(string Id, string Code, bool Run, string? File)
    {
        public static List<Snippet> All(string root)
        {
            var documents = new[] { "README.md" }
                .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Select(p => Path.GetRelativePath(root, p)))
                .Concat(Directory.EnumerateFiles(Path.Combine(root, "src"), "README.md", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)))
                .Concat(["deploy/README.md", "templates/Steward.Templates/README.md"])
                .Select(p => p.Replace('\\', '/'))
                .Order(StringComparer.Ordinal);
            var snippets = new List<Snippet>();
            foreach (var document in documents)
            {
                var lines = System.IO.File.ReadAllText(Path.Combine(root, document)).ReplaceLineEndings("\n").Split('\n');
                for (var i = 0; i < lines.Length; i++)
                {
                    var fence = Fence().Match(lines[i]);
                    if (!fence.Success)
                    {
                        continue;
                    }

                    var start = i + 1;
                    var end = Array.FindIndex(lines, start, l => l.TrimEnd() == "```");
                    Assert.True(end > 0, $"{document}:{i + 1}: a code block that never ends");
                    var info = fence.Groups["info"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var file = info.FirstOrDefault(w => w.StartsWith("file=", StringComparison.Ordinal))?["file=".Length..];
                    var code = string.Join('\n', lines[start..end]) + "\n";
                    snippets.Add(new Snippet($"{document}:{i + 1}", code, info.Contains("run"), file));
                    i = end;
                }
            }

            return snippets;
        }

        [GeneratedRegex(@"^```(csharp|cs|c#)(?<info>( [^`]*)?)$")]
        private static partial Regex Fence();
    }
}
