using Microsoft.Extensions.DependencyInjection;

namespace Steward.Hosting;

/// <summary>The <see cref="IRunStateBuilder"/> over a service collection and its worker catalog.</summary>
internal sealed class RunStateBuilder(IServiceCollection services, WorkerCatalog catalog) : IRunStateBuilder
{
    public IServiceCollection Services { get; } = services;

    public WorkerCatalog Catalog { get; } = catalog;
}
