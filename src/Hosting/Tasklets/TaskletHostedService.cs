using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Tasklets;

namespace Steward.Hosting;

/// <summary>
/// Runs the host's <see cref="TaskletLoop"/> (registered by <c>AddTasklets</c>) with the host: the configure callbacks
/// spawn the tasklets once every hosted service has started; the stop stops the loop within the shutdown budget.
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
internal sealed partial class TaskletHostedService(
    TaskletLoop loop,
    IEnumerable<TaskletSetup> setups,
    IServiceProvider services,
    RunStateController controller,
    ShutdownBudget budget,
    IHostApplicationLifetime lifetime,
    HostTelemetry telemetry,
    ILogger<TaskletLoop> logger) : IHostedLifecycleService
{
    /// <summary>Nothing.</summary>
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Spawns the configured tasklets, once every hosted service has started; nothing if the host is already stopping.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // The awkward edge first: a stop requested while the other services were starting (a slow resource open, a
        // signal, IHost.StopAsync) may already have stopped the loop. Nothing is spawned then: the stop is a clean stop.
        if (lifetime.ApplicationStopping.IsCancellationRequested || loop.IsStopping)
        {
            TaskletHostingLog.NotStarted(logger, loop.Name);
            return Task.CompletedTask;
        }

        foreach (var setup in setups)
        {
            try
            {
                setup.Configure(services, loop);
            }
            catch (ClosedException) when (loop.IsStopping)
            {
                // A stop raced the spawn: what was spawned before it is ended by the loop's stop.
                TaskletHostingLog.NotStarted(logger, loop.Name);
                return Task.CompletedTask;
            }
        }

        TaskletHostingLog.Started(logger, loop.Name, loop.Count);
        return Task.CompletedTask;
    }

    /// <summary>Nothing: the workers stop first.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops the loop within the shutdown budget; past it, abandons the loop and records exit code 3.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var deadline = budget.CreateDeadline(cancellationToken);
        try
        {
            await loop.StopAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Abandoned by the loop itself, so the container's disposal of the loop does not wait for the same tasklets.
            TaskletHostingLog.DidNotStop(logger, loop.Name, budget.Timeout, loop.Count);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"the tasklet loop '{loop.Name}' did not stop within {budget.Timeout}");
        }
        catch (Exception ex)
        {
            TaskletHostingLog.StopFailed(logger, loop.Name, ex);
        }
        finally
        {
            telemetry.Stage(HostTelemetry.TaskletsDrained);
        }
    }

    /// <summary>Nothing.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
