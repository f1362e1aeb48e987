using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;

namespace Steward.Hosting;

/// <summary>
/// The outcome of the latest load of each tracked JSON configuration file (see <see cref="TrackedJsonConfigurationSource"/>):
/// null when it parsed, else one line naming the file, line and position. Made by <c>StewardHost.CreateApplicationBuilder</c>
/// and registered as a singleton.
/// </summary>
internal sealed class ConfigurationFileLoads
{
    // Weak: providers come and go when the configuration's sources change; a dead one has nothing to report.
    private readonly ConditionalWeakTable<IConfigurationProvider, string> _problems = [];

    public void Loaded(IConfigurationProvider provider, string? problem)
    {
        if (problem is null)
        {
            _problems.Remove(provider);
        }
        else
        {
            _problems.AddOrUpdate(provider, problem);
        }
    }

    /// <summary>Whether <paramref name="provider"/> is tracked here (else its file is checked on disk).</summary>
    public static bool Tracks(IConfigurationProvider provider) =>
        provider is FileConfigurationProvider { Source: TrackedJsonConfigurationSource };

    /// <summary>The problem of <paramref name="provider"/>'s latest load, or null when it parsed.</summary>
    public string? ProblemOf(IConfigurationProvider provider) => _problems.TryGetValue(provider, out var problem) ? problem : null;
}
