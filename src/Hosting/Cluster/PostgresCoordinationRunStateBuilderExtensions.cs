using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Scale-out: workers that run once across several processes, or partitioned among them, through PostgreSQL.</summary>
public static class PostgresCoordinationRunStateBuilderExtensions
{
    /// <summary>
    /// Coordinates the workers whose <c>Steward:Workers:&lt;name&gt;:Cluster:Mode</c> is <see cref="ClusterMode.Singleton"/>
    /// or <see cref="ClusterMode.Partitioned"/> with the other processes of the service, through leases in a PostgreSQL
    /// table (created on first use: <c>steward_leases</c>, <c>steward_members</c>). One connection per process, whatever
    /// the number of leases, renewed every third of <see cref="ClusterOptions.LeaseTimeout"/>. Each clustered run gets a
    /// scoped <see cref="ClusterLease"/>; losing the lease cancels the run. Workers whose mode is None are untouched.
    /// </summary>
    /// <param name="builder">The Steward builder.</param>
    /// <param name="connectionString">The PostgreSQL connection string; by default the configuration's
    /// <c>ConnectionStrings:Steward</c>. A missing or malformed one fails start-up with exit code 2, naming the key. The
    /// database need not be reachable at start: clustered workers stand by until it is.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder UsePostgresCoordination(this IRunStateBuilder builder, string? connectionString = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PostgresCoordinationOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.Source = connectionString is null ? PostgresCoordinationOptions.DefaultKey : "the connection string given to UsePostgresCoordination";
                options.ConnectionString = connectionString ?? configuration.GetConnectionString("Steward");
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresCoordinationOptions>, PostgresCoordinationOptions.Validator>());
        if (services.Any(d => d.ServiceType == typeof(ClusterCoordinator)))
        {
            return builder; // a second call only changes the connection string
        }

        if (services.FirstOrDefault(d => d.ServiceType == typeof(WorkerCatalog))?.ImplementationInstance is WorkerCatalog catalog)
        {
            catalog.HasCoordination = true;
        }

        services.AddSingleton(sp => new ClusterCoordinator(
            sp.GetRequiredService<IOptions<PostgresCoordinationOptions>>().Value, sp.GetRequiredService<StewardSettings>(),
            sp.GetRequiredService<WorkerCatalog>(), sp.GetRequiredService<Hosting.IHostEnvironment>(), sp.GetRequiredService<RunStateController>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Logging.ILogger<ClusterCoordinator>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ClusterCoordinator>());
        services.AddScoped<ClusterLeaseHolder>();
        services.AddScoped(sp => sp.GetRequiredService<ClusterLeaseHolder>().Lease ?? throw new InvalidOperationException(
            "There is no ClusterLease in this scope: only the run of a worker whose Steward:Workers:<name>:Cluster:Mode is Singleton or Partitioned has one."));
        return builder;
    }
}
