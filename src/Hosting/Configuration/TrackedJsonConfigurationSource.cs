using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Steward.Hosting;

/// <summary>
/// A JSON configuration file whose provider records, as each load happens, whether the file parsed: the
/// <see cref="JsonConfigurationSource"/> that <c>StewardHost.CreateApplicationBuilder</c> puts in place of each of the
/// host's. The record is written before the load's change notification, so whoever reacts to the notification (a
/// <see cref="LastGoodOptionsMonitor{TOptions}"/>) knows whether what the provider now holds came from a file that parsed;
/// re-reading the file at that moment could see a newer file than the provider loaded.
/// </summary>
internal sealed class TrackedJsonConfigurationSource : JsonConfigurationSource
{
    public TrackedJsonConfigurationSource(JsonConfigurationSource original, ConfigurationFileLoads loads)
    {
        Path = original.Path!; // set by AddJsonFile for every source the defaults add
        Optional = original.Optional;
        ReloadOnChange = original.ReloadOnChange;
        ReloadDelay = original.ReloadDelay;
        FileProvider = original.FileProvider;
        OnLoadException = original.OnLoadException;
        Loads = loads;
    }

    public ConfigurationFileLoads Loads { get; }

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this);
    }

    [DebuggerDisplay("JSON file {Source.Path}")]
    private sealed class Provider(TrackedJsonConfigurationSource source) : JsonConfigurationProvider(source)
    {
        public override void Load(Stream stream)
        {
            var loads = source.Loads;
            try
            {
                base.Load(stream);
                loads.Loaded(this, problem: null);
            }
            catch (Exception ex)
            {
                var file = Source.FileProvider?.GetFileInfo(Source.Path ?? "").PhysicalPath ?? Source.Path ?? "a JSON configuration file";
                loads.Loaded(this, Json(ex) is { } json ? ConfigurationProblems.MalformedJson(file, json) : $"{file}: {ex.Message}");
                throw; // to the file-load handler, which skips the file
            }
        }

        private static JsonException? Json(Exception? exception)
        {
            for (; exception is not null; exception = exception.InnerException)
            {
                if (exception is JsonException json)
                {
                    return json;
                }
            }

            return null;
        }
    }
}
