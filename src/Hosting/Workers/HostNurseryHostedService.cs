using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Nurseries;

namespace Steward.Hosting;

/// <summary>
/// Binds the host's <see cref="TaskNursery"/> (registered by <c>AddTaskNursery()</c>) to the host: a failed child stops the
/// host with exit code 1; the stop closes it (cancels and awaits its children, within the shutdown budget) after the
/// workers have stopped, so a worker winding down can still start or await children.
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
internal sealed partial class HostNurseryHostedService(
    TaskNursery nursery, RunStateController controller, ShutdownBudget budget, HostTelemetry telemetry, ILogger<TaskNursery> logger)
    : IHostedService
{
    /// <summary>
    /// Creates the host nursery: named <paramref name="name"/>, or <c>name-2</c>, <c>name-3</c>... while a live nursery
    /// (another host in this process, say) has the name; a failed child stops the host with exit code 1 from the moment
    /// it exists, even before the host starts.
    /// </summary>
    internal static TaskNursery Create(IServiceProvider services, string name)
    {
        var logger = services.GetRequiredService<ILogger<TaskNursery>>();
        var controller = services.GetRequiredService<RunStateController>();
        for (var attempt = 1; ; attempt++)
        {
            TaskNursery nursery;
            try
            {
                nursery = new TaskNursery(attempt == 1 ? name : $"{name}-{attempt}", NurseryFailurePolicy.CancelAll, logger);
            }
            catch (ArgumentException) when (attempt < 1_000)
            {
                continue; // the name is taken by a live nursery
            }

            if (attempt > 1)
            {
                WorkersLog.Renamed(logger, name, nursery.Name);
            }

            nursery.ChildFailed += (source, _, error) =>
                controller.Exit(StewardExitCodes.Failure, $"a child of the host nursery '{source.Name}' failed: {error.Message}");
            return nursery;
        }
    }

    /// <summary>Nothing: the nursery is open from its creation.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes the nursery within the shutdown budget (after the workers stopped, in their StoppingAsync); past it, abandons the close and records exit code 3.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // CloseAsync observes the failures (each was already handled by the ChildFailed handler), so the container's later
        // DisposeAsync of the nursery does not throw them again. Past the budget the nursery abandons the close itself,
        // so that disposal does not wait for the same children again either.
        using var deadline = budget.CreateDeadline(cancellationToken);
        try
        {
            await nursery.CloseAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            WorkersLog.DidNotClose(logger, nursery.Name, budget.Timeout, nursery.Tasks.Count);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"the host nursery '{nursery.Name}' did not close within {budget.Timeout}");
        }
        catch (AggregateException ex)
        {
            // Children's failures were reported as they happened (exit code 1 by OnChildFailed); unwinding what was
            // entered can fail too, and only now. Each is logged here, and either way the exit code is 1.
            foreach (var failure in ex.InnerExceptions)
            {
                WorkersLog.CloseFailure(logger, nursery.Name, failure);
            }

            controller.RecordExitCode(StewardExitCodes.Failure, $"the host nursery '{nursery.Name}' closed with {ex.InnerExceptions.Count} failure(s)");
        }
        finally
        {
            telemetry.Stage(HostTelemetry.NurseryClosed);
        }
    }
}
