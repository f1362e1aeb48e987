using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Creates the host builder for a Steward service.</summary>
public static class StewardHost
{
    /// <summary>
    /// <see cref="Host.CreateApplicationBuilder(string[])"/> with the same defaults (appsettings.json and
    /// appsettings.{Environment}.json reloaded on change, environment variables, the command line), except that a JSON
    /// configuration file that does not parse is skipped instead of thrown from here as an unhandled exception.
    /// Steward's start-up validation then reports it as one line naming the file, line and position, and
    /// <c>RunStewardAsync</c> exits with code 2 before anything starts; on a reload the error is logged once and the
    /// previous configuration stays in force.
    /// </summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The builder.</returns>
    public static HostApplicationBuilder CreateApplicationBuilder(string[]? args) =>
        CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args });

    /// <summary>As <see cref="CreateApplicationBuilder(string[])"/>, with the host's settings.</summary>
    /// <param name="settings">The settings; its <see cref="HostApplicationBuilderSettings.Configuration"/>, if given,
    /// becomes the builder's configuration (any file-load handler already set on it runs first).</param>
    /// <returns>The builder.</returns>
    public static HostApplicationBuilder CreateApplicationBuilder(HostApplicationBuilderSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = settings.Configuration ??= new ConfigurationManager();
        var previous = configuration.GetFileLoadExceptionHandler();
        configuration.SetFileLoadExceptionHandler(context =>
        {
            previous?.Invoke(context);

            // A JSON file is re-read, and its problem reported, by Steward's settings validation (JsonFilesValidator).
            // On a reload the provider keeps the data it had.
            if (context.Provider is JsonConfigurationProvider)
            {
                context.Ignore = true;
            }
        });
        var builder = Host.CreateApplicationBuilder(settings);

        // The defaults' JSON files, again, as sources whose loads are recorded (replacing a source rebuilds the
        // providers, and the handler above still applies to them).
        var loads = new ConfigurationFileLoads();
        var sources = builder.Configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource json and not TrackedJsonConfigurationSource)
            {
                sources[i] = new TrackedJsonConfigurationSource(json, loads);
            }
        }

        builder.Services.AddSingleton(loads);
        return builder;
    }
}
