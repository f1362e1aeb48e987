using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>
/// The names of the <see cref="RunStateBackgroundService"/>s, checked when the host starts (<c>ValidateOnStart</c>):
/// a worker name is one controller entry, one health entry and one telemetry name, so a background service may share
/// it neither with a worker added with <c>AddWorker</c> nor with another background service. Workers added with
/// <c>AddWorker</c> are checked at registration; background services are only named once they exist.
/// </summary>
internal sealed class WorkerNameCheck
{
    /// <summary>
    /// Runs after the host has resolved its hosted services (so this resolves no new instance and cannot recurse into a
    /// constructor) and before any of them starts (so a clash is a start-up error, never a half-started host).
    /// </summary>
    internal sealed class Validator(WorkerCatalog catalog, IServiceProvider services) : IValidateOptions<WorkerNameCheck>
    {
        public ValidateOptionsResult Validate(string? name, WorkerNameCheck options)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var failures = new List<string>();
            foreach (var service in services.GetServices<IHostedService>().OfType<RunStateBackgroundService>())
            {
                var workerName = service.WorkerName;
                if (catalog.Contains(workerName))
                {
                    failures.Add($"The background service {service.GetType().FullName} is named '{workerName}', like a worker "
                        + "added with AddWorker; override WorkerName or pass a distinct name to AddWorker.");
                }
                else if (!seen.Add(workerName))
                {
                    failures.Add($"Two background services are named '{workerName}' (the second is {service.GetType().FullName}); "
                        + "override WorkerName so that each has its own.");
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
