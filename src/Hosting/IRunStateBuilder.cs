using Microsoft.Extensions.DependencyInjection;

namespace Steward.Hosting;

/// <summary>
/// Returned by <c>services.AddRunState()</c>: chain <c>AddWorker</c>, <c>AddMultiOpen</c>, <c>AddPool</c>,
/// <c>AddTaskNursery</c> and the other Steward registrations on it.
/// </summary>
public interface IRunStateBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
