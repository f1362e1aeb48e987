using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>
/// The workers' host: attaches <see cref="RunStateBackgroundService"/>s at start, starts the host RunState and one
/// <see cref="WorkerSupervisor"/> per enabled instance once every hosted service has started (so resources are open
/// first), cancels the host RunState at ApplicationStopping, and waits for the workers within the shutdown budget,
/// reporting (and abandoning, exit code 3) those that do not stop.
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
internal sealed partial class RunStateHostedService(
    WorkerCatalog catalog,
    RunStateController controller,
    ShutdownBudget budget,
    IServiceScopeFactory scopes,
    StewardSettings settings,
    IHostApplicationLifetime lifetime,
    IOptions<HostOptions> hostOptions,
    IServiceProvider services,
    HostTelemetry telemetry,
    ILoggerFactory loggers) : IHostedLifecycleService, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Steward.Hosting.Workers");
    private readonly List<(WorkerInstance Instance, Task Supervisor)> _supervisors = [];
    private ITimer? _sampler;
    private CancellationTokenRegistration _stopping;
    private CancellationTokenRegistration _stopped;

    /// <summary>Attaches the RunStateBackgroundServices and arranges for ApplicationStopping to cancel the host RunState.</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        telemetry.StartBegan();
        HostingMetrics.Track(controller);
        foreach (var service in services.GetServices<IHostedService>().OfType<RunStateBackgroundService>())
        {
            service.Attach(controller, hostOptions.Value.BackgroundServiceExceptionBehavior == BackgroundServiceExceptionBehavior.StopHost);
        }

        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            telemetry.StopBegan();
            controller.Host.Cancel(); // first: cancels every worker's RunState, children of this one
            budget.Begin();
        });

        // After every hosted service's StoppedAsync: the stop's activity ends with the exit code decided so far.
        _stopped = lifetime.ApplicationStopped.Register(() => telemetry.StopEnded(controller.ExitCode));
        return Task.CompletedTask;
    }

    /// <summary>Nothing: workers start only once every hosted service has started.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts the host RunState and one supervisor per enabled worker instance, unless the host is already stopping.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        // The awkward edge first: a stop requested while the other services were starting (a slow resource open, a
        // signal) has already cancelled the host RunState, and starting it again would clear that cancellation and
        // launch workers nobody will stop. Nothing is started then.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            WorkersLog.NotStarted(_logger);
            telemetry.StartEnded(0);
            return Task.CompletedTask;
        }

        controller.Host.Start(runningOk: true);

        // Invariant: ApplicationStopping is set before its callbacks run, so a stop that raced the Start above is seen
        // either here or by the callback, which then cancels the running host RunState.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            controller.Host.Cancel();
            WorkersLog.NotStarted(_logger);
            telemetry.StartEnded(0);
            return Task.CompletedTask;
        }

        var current = settings.Current;
        foreach (var registration in catalog.Workers)
        {
            var worker = current.For(registration.Name);
            if (!worker.Enabled)
            {
                WorkersLog.Disabled(_logger, registration.Name);
                continue;
            }

            // A clustered worker runs one instance per lease: a singleton's one, or one per partition (its index).
            var mode = worker.Cluster?.Mode ?? ClusterMode.None;
            var coordinator = mode == ClusterMode.None ? null : services.GetRequiredService<ClusterCoordinator>();
            var instances = mode switch
            {
                ClusterMode.None => worker.Instances,
                ClusterMode.Singleton => 1,
                _ => worker.Cluster!.Partitions,
            };
            for (var index = 0; index < instances; index++)
            {
                var runState = controller.Host.CreateChild($"{registration.Name}#{index}");
                var cluster = coordinator is null ? ((ClusterCoordinator, LeaseSlot)?)null : (coordinator, coordinator.Register(registration.Name, index, mode));
                var instance = controller.Register(registration.Name, index, runState, worker.StallTimeout, cluster);
                var supervisor = new WorkerSupervisor(registration, instance, scopes, settings, controller, _logger);
                _supervisors.Add((instance, Task.Run(supervisor.RunAsync, CancellationToken.None)));
            }
        }

        controller.ExpectWorkers(_supervisors.Count);
        WorkersLog.Started(_logger, _supervisors.Count, catalog.Workers.Count);
        telemetry.StartEnded(_supervisors.Count);
        _sampler = controller.Clock.CreateTimer(static self => ((RunStateHostedService)self!).SampleCheckpoints(), this,
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    /// <summary>Cancels the host RunState and waits for the workers within the shutdown budget, before any service's StopAsync.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Workers stop first, before any hosted service's StopAsync: while they wind down they may still use the
        // deferred calls, the tasklet loop, the host nursery and the resources, which stop after them. The host
        // RunState is cancelled here too (idempotent) in case this runs before ApplicationStopping. Whatever is still
        // running once the budget is spent is reported in StoppedAsync.
        telemetry.StopBegan();
        controller.Host.Cancel();
        budget.Begin();
        var supervisors = new Task[_supervisors.Count];
        for (var i = 0; i < supervisors.Length; i++)
        {
            supervisors[i] = _supervisors[i].Supervisor;
        }

        await budget.WaitAsync(Task.WhenAll(supervisors), cancellationToken);
        telemetry.Stage(HostTelemetry.WorkersDrained);
    }

    /// <summary>Nothing: the workers stopped in StoppingAsync.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reports (and abandons, exit code 3) the worker instances that did not stop in time.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _sampler?.Dispose();
        // Loops, and no snapshot unless an instance is stuck: this runs once per process, as it exits. Every instance the
        // controller knows (RunStateBackgroundServices too) that is still in a run:
        var now = controller.Clock.GetUtcNow();
        var notStopped = 0;
        foreach (var instance in controller.Instances)
        {
            if (instance.RunState.Status is RunStateStatus.Running or RunStateStatus.Paused or RunStateStatus.Stopping
                && instance.Snapshot(now) is { State: RunStateStatus.Running or RunStateStatus.Paused or RunStateStatus.Stopping } status)
            {
                // Checked again on the snapshot, which is what is reported: the instance may have stopped in between.
                WorkersLog.DidNotStop(_logger, status.Name, status.Instance, budget.Timeout, status.State, status.LastCheckpoint, now - status.LastCheckpoint);
                notStopped++;
            }
        }

        // And supervisors stuck outside a run: creating the worker or its scoped services (Idle), or disposing them (Stopped).
        foreach (var (instance, supervisor) in _supervisors)
        {
            var state = instance.RunState.Status;
            if (!supervisor.IsCompleted && state is RunStateStatus.Idle or RunStateStatus.Stopped)
            {
                WorkersLog.DidNotFinish(_logger, instance.Name, instance.Index, budget.Timeout, state);
                notStopped++;
            }
        }

        if (notStopped > 0)
        {
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout,
                $"{notStopped} worker instance(s) did not stop within the shutdown timeout of {budget.Timeout}");
        }

        controller.Host.Stop(notRunningOk: true);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _sampler?.Dispose();
        _stopping.Dispose();
        _stopped.Dispose();
    }

    private void SampleCheckpoints()
    {
        var now = controller.Clock.GetUtcNow();
        foreach (var instance in controller.Instances)
        {
            if (instance.Sample(now, out var since))
            {
                WorkersLog.Stalled(_logger, instance.Name, instance.Index, since);
            }
        }
    }
}
