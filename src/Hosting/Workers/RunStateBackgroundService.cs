using Microsoft.Extensions.Hosting;

namespace Steward.Hosting;

/// <summary>
/// A <see cref="BackgroundService"/> driven by a <see cref="RunState"/> known to Steward's controller, for services already
/// written as background services: register it with the ordinary <c>AddHostedService&lt;T&gt;()</c> and implement
/// <see cref="ExecuteAsync(RunState)"/>. Pause/resume, health and the host RunState's cancellation work as for
/// <see cref="IRunStateWorker"/>s; it is not restarted. A failure follows the host's <c>BackgroundServiceExceptionBehavior</c>:
/// under <c>StopHost</c> (the default) it stops the host with exit code 1 (<see cref="StewardExitCodes.Failure"/>).
/// </summary>
public abstract class RunStateBackgroundService : BackgroundService
{
    private RunState? _runState;
    private WorkerInstance? _instance;
    private RunStateController? _controller; // set when a failure should stop the host with exit code 1

    /// <summary>The name it is known by in <see cref="IRunStateController"/>; the type name by default.</summary>
    public virtual string WorkerName => GetType().Name;

    /// <summary>Its RunState: a child of the host's once Steward attached it (at host start), else its own.</summary>
    public RunState RunState => _runState ??= new RunState(WorkerName);

    /// <summary>The service's work; see <see cref="IRunStateWorker.ExecuteAsync"/>.</summary>
    /// <param name="runState">Its RunState, already started.</param>
    /// <returns>A task that completes when the work ends.</returns>
    protected abstract Task ExecuteAsync(RunState runState);

    /// <inheritdoc/>
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runState = RunState;
        try
        {
            await runState.RunAsync(async rs =>
            {
                // Registered after Start, so a stop that already happened cancels at once instead of being cleared.
                using var stop = stoppingToken.Register(rs.Cancel);
                _instance?.BeginRun();
                _instance?.ApplyPause();
                await ExecuteAsync(rs).ConfigureAwait(false);
            }).ConfigureAwait(false);
            _instance?.SetHealth(WorkerHealth.Stopped);
        }
        catch (OperationCanceledException) when (runState.IsCancelled)
        {
            _instance?.SetHealth(WorkerHealth.Stopped); // the normal way out when the host stops
        }
        catch (Exception ex)
        {
            _instance?.RecordFailure(ex);
            _instance?.SetHealth(WorkerHealth.Faulted);
            _controller?.Exit(StewardExitCodes.Failure, $"background service {WorkerName} failed: {ex.Message}");
            throw;
        }
    }

    /// <summary>Called by Steward at host start: the RunState becomes a child of the host's, known to the controller.</summary>
    /// <param name="controller">The controller.</param>
    /// <param name="exitOnFailure">Whether a failure stops the host with exit code 1 (the host's behaviour is StopHost).</param>
    internal void Attach(RunStateController controller, bool exitOnFailure)
    {
        if (_instance is not null)
        {
            return;
        }

        _controller = exitOnFailure ? controller : null;
        _runState = controller.Host.CreateChild(WorkerName);
        _instance = controller.Register(WorkerName, 0, _runState, stallTimeout: null);
    }

    /// <summary>Whether the service's work is still running (for the shutdown report).</summary>
    internal bool IsRunning => _runState?.IsRunning == true;
}
