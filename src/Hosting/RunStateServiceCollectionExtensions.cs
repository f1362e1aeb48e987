using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Steward on a service collection.</summary>
public static class RunStateServiceCollectionExtensions
{
    /// <summary>
    /// Adds Steward: <see cref="StewardOptions"/> bound from the "Steward" configuration section and validated at start
    /// (a bad value, a key that binds to nothing, a JSON configuration file that does not parse: exit code 2), then kept
    /// as the last good settings across reloads (<see cref="LastGoodOptionsMonitor{TOptions}"/>), the <see cref="IRunStateController"/> with the host RunState, the supervised workers' host,
    /// and Steward's lifetime (signals and exit codes, replacing the console lifetime). Calling it again returns a builder
    /// over the same registrations.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adjusts the options after configuration binding.</param>
    /// <returns>The builder to add workers and resources with.</returns>
    public static IRunStateBuilder AddRunState(this IServiceCollection services, Action<StewardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(WorkerCatalog))?.ImplementationInstance;
        if (existing is WorkerCatalog known)
        {
            return new RunStateBuilder(services, known);
        }

        var catalog = new WorkerCatalog();
        services.AddSingleton(catalog);
        services.AddOptions<StewardOptions>()
            .BindConfiguration(StewardOptions.Section)
            .ValidateOnStart()
            .KeepLastGood();
        services.AddSingleton<IValidateOptions<StewardOptions>, StewardOptionsValidator>();
        services.AddSingleton<IValidateOptions<StewardOptions>>(sp => // a key that binds to nothing, with its path and the nearest name
            new KnownKeysValidator<StewardOptions>(Options.Options.DefaultName, StewardOptions.Section, sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<IValidateOptions<StewardOptions>, JsonFilesValidator>(); // a configuration file that does not parse
        services.AddOptions<WorkerNameCheck>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerNameCheck>, WorkerNameCheck.Validator>();

        // The host's own stop must outlast Steward's budget, so Steward's accounting (and exit code 3) comes first.
        // (Read leniently: the host is built before validation runs, and validation reports a bad value properly.)
        services.AddSingleton<IPostConfigureOptions<HostOptions>>(sp => new PostConfigureOptions<HostOptions>(Options.Options.DefaultName, host =>
        {
            TimeSpan budget;
            try
            {
                budget = sp.GetRequiredService<IOptionsMonitor<StewardOptions>>().CurrentValue.ShutdownTimeout;
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                return;
            }

            if (budget > TimeSpan.Zero && host.ShutdownTimeout < budget + TimeSpan.FromSeconds(5))
            {
                host.ShutdownTimeout = budget + TimeSpan.FromSeconds(5);
            }
        }));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunStateController>();
        services.TryAddSingleton<IRunStateController>(sp => sp.GetRequiredService<RunStateController>());
        services.TryAddSingleton<StewardSettings>();
        services.TryAddSingleton<ShutdownBudget>();
        services.TryAddSingleton<HostTelemetry>();
        services.AddHostedService<RunStateHostedService>();
        services.AddSingleton<IHostLifetime, StewardLifetime>();
        return new RunStateBuilder(services, catalog);
    }
}
