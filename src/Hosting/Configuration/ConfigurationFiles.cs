using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Steward.Hosting;

/// <summary>
/// Says which of the host's JSON configuration files (appsettings.json and the like) do not parse, naming the file,
/// line and position. The host built by <c>StewardHost.CreateApplicationBuilder</c> skips such a file instead of
/// throwing at start, and a file watcher's reload of one leaves its provider empty, so this check is what reports the
/// file at start (exit code 2) and what keeps the last good options in force across such a reload. Files that host
/// tracks (<see cref="ConfigurationFileLoads"/>) are judged by their latest load, which is what their providers hold;
/// any other JSON file is re-read from disk.
/// </summary>
internal sealed class ConfigurationFiles(IConfiguration configuration, ConfigurationFileLoads? loads = null)
{
    // As the JSON configuration provider reads: comments skipped, trailing commas allowed.
    private static readonly JsonDocumentOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>One line for each JSON configuration file that exists and does not parse; empty when all do.</summary>
    public List<string> Problems()
    {
        var problems = new List<string>();
        if (configuration is IConfigurationRoot root)
        {
            foreach (var provider in root.Providers.OfType<FileConfigurationProvider>())
            {
                var tracked = loads is not null && ConfigurationFileLoads.Tracks(provider);
                if ((tracked ? loads!.ProblemOf(provider) : Check(provider.Source)) is { } problem)
                {
                    problems.Add(problem);
                }
            }
        }

        return problems;
    }

    /// <summary>The problem with <paramref name="source"/>'s file, or null when it parses, is missing, or is not JSON.</summary>
    private static string? Check(FileConfigurationSource source)
    {
        if (source.Path is not { } path || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            || source.FileProvider?.GetFileInfo(path) is not { Exists: true } file)
        {
            return null;
        }

        var shown = file.PhysicalPath ?? path;
        try
        {
            using var stream = file.CreateReadStream();
            using var document = JsonDocument.Parse(stream, s_options);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? null
                : $"{shown} must hold a JSON object at its top level (found {document.RootElement.ValueKind}).";
        }
        catch (JsonException ex)
        {
            return ConfigurationProblems.MalformedJson(shown, ex);
        }
        catch (IOException ex)
        {
            return $"{shown} could not be read: {ex.Message}";
        }
    }
}
