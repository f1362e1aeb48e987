using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// Runs one worker instance for the host's lifetime: each run in a fresh DI scope, then restarts by the worker's policy
/// with exponential back-off, within its budget of restarts per window; gives up (exit code 1) when it is spent.
/// </summary>
internal sealed partial class WorkerSupervisor(
    WorkerRegistration registration,
    WorkerInstance instance,
    IServiceScopeFactory scopes,
    StewardSettings settings,
    RunStateController controller,
    ILogger logger)
{
    private readonly TimeProvider _clock = controller.Clock;
    private DateTimeOffset _windowStart;
    private int _restartsInWindow;
    private int _lossesInRow;

    private string Worker => $"{instance.Name}#{instance.Index}";

    /// <summary>Supervises until the host stops or the worker ends for good. Never throws.</summary>
    public async Task RunAsync()
    {
        var host = controller.Host;
        var cluster = instance.Cluster;
        while (!host.IsCancelled)
        {
            // A clustered instance first stands by for its lease; it runs only while this process holds it.
            ClusterLease? lease = null;
            if (cluster is var (coordinator, slot))
            {
                instance.SetHealth(WorkerHealth.Standby);
                controller.WorkerStarted(instance); // a standby is doing its job: it does not hold readiness back
                try
                {
                    lease = await coordinator.AcquireAsync(slot, host.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break; // the host is stopping
                }

                if (host.IsCancelled)
                {
                    coordinator.Release(slot, lease);
                    break;
                }
            }

            var failure = await RunOnceAsync(lease).ConfigureAwait(false);
            var lost = lease is { IsLost: true }; // read before the release below, which marks the lease lost too
            if (cluster is var (owner, held) && lease is not null)
            {
                owner.Release(held, lease); // only now, after the run has ended: at SIGTERM this is the hand-over to a standby
            }

            if (host.IsCancelled)
            {
                break; // stopping with the host: whatever the run did, it is over
            }

            if (lost)
            {
                // Lost or given up (its failure, if any, is logged): stand by again; not a restart. A lost lease first
                // stands down for a lease timeout (doubling while losses follow each other), so that a healthy standby
                // takes it over rather than the process that just lost it; a lease given up to rebalance competes at once
                // (the shares keep it from coming straight back).
                if (!lease!.GivenUp && !await StandDownAsync(lease, cluster!.Value.Coordinator.LeaseTimeout).ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            _lossesInRow = 0;
            if (lease is not null && failure is null)
            {
                // A clustered run that returned: the work is the cluster's, not this process's, so the instance stands by
                // again after the policy's initial back-off and whichever process acquires the lease first runs it next
                // (a partition left without a runner would otherwise stay so). Not a restart; Enabled=false stops it.
                instance.SetHealth(WorkerHealth.Standby);
                try
                {
                    await Task.Delay(settings.Current.For(registration.Name).Restart.InitialBackoff, _clock, host.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            var restart = settings.Current.For(registration.Name).Restart;
            if (failure is null && restart.Policy != RestartPolicy.Always)
            {
                WorkersLog.Ended(logger, Worker);
                instance.SetHealth(WorkerHealth.Stopped);
                return;
            }

            if (failure is not null && restart.Policy == RestartPolicy.Never)
            {
                instance.SetHealth(WorkerHealth.Faulted);
                controller.Exit(StewardExitCodes.Failure, $"worker {Worker} failed and its restart policy is Never");
                return;
            }

            var now = _clock.GetUtcNow();
            if (_restartsInWindow == 0 || now - _windowStart >= restart.Window)
            {
                _windowStart = now; // Akka's one-for-one: the count starts again once the window has elapsed
                _restartsInWindow = 0;
            }

            if (_restartsInWindow >= restart.MaxRestarts)
            {
                instance.SetHealth(WorkerHealth.GaveUp);
                WorkersLog.GaveUp(logger, Worker, restart.MaxRestarts, restart.Window, failure);
                controller.Exit(StewardExitCodes.Failure, $"worker {Worker} gave up after {restart.MaxRestarts} restarts within {restart.Window}");
                return;
            }

            var delay = Backoff.Delay(_restartsInWindow, restart, Random.Shared.NextDouble());
            _restartsInWindow++;
            instance.SetHealth(WorkerHealth.Restarting);
            WorkersLog.Restarting(logger, Worker, delay, _restartsInWindow, restart.MaxRestarts);
            try
            {
                await Task.Delay(delay, _clock, host.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break; // the host is stopping: no restart
            }

            instance.RecordRestart();
            HostingMetrics.Restarted(instance.Name);
        }

        instance.SetHealth(WorkerHealth.Stopped);
    }

    /// <summary>Waits out the stand-down after a lost lease; false if the host began to stop meanwhile.</summary>
    private async Task<bool> StandDownAsync(ClusterLease lease, TimeSpan leaseTimeout)
    {
        // Losses in a row: reset once a lease was held for longer than its timeout (a stable holding).
        _lossesInRow = _clock.GetUtcNow() - lease.AcquiredAt > leaseTimeout ? 1 : _lossesInRow + 1;
        var delay = leaseTimeout * Math.Min(1 << Math.Min(_lossesInRow - 1, 4), 16);
        instance.SetHealth(WorkerHealth.Standby);
        try
        {
            await Task.Delay(delay, _clock, controller.Host.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One run in its own scope. Returns the failure, or null for a normal return or a cancellation.</summary>
    /// <remarks>
    /// The run is <see cref="RunState.RunToEndAsync"/>'s: start, <see cref="RunState.Current"/>, cancel on failure, stop,
    /// reported rather than rethrown (a host stop ends every worker with a cancellation at once, and each rethrow through
    /// another async frame would cost a stack trace per worker).
    /// </remarks>
    private async Task<Exception?> RunOnceAsync(ClusterLease? lease)
    {
        var runState = instance.RunState;
        IRunStateWorker? worker = null;
        var owned = false;
        Exception? failure = null;
        var startedAt = HostingMetrics.RunStarting();

        // The run's logging scope and activity hold for everything the run does, the worker's creation included: the
        // worker's own logs carry WorkerName, WorkerInstance and the run's trace.
        using var logScope = logger.BeginScope(new WorkerLogScope(instance.Name, instance.Index));
        var activity = HostingMetrics.StartRun(instance.Name, instance.Index, instance.Restarts);

        // Collected as they happen (a Cancel from a signal's thread may race the run's own Stop) and added to the run's
        // activity in their RunState's order when the run ends, which is when the activity is exported anyway.
        List<RunStateTransition>? transitions = activity is null ? null : [];
        Action<RunStateTransition>? onTransition = transitions is null ? null : t =>
        {
            lock (transitions)
            {
                transitions.Add(t);
            }
        };
        if (onTransition is not null)
        {
            runState.StateChanged += onTransition;
        }

        var scope = scopes.CreateAsyncScope();
        CancellationTokenRegistration? lost = null;
        try
        {
            var services = scope.ServiceProvider;
            if (lease is not null)
            {
                services.GetRequiredService<ClusterLeaseHolder>().Lease = lease; // the scope's ClusterLease
            }

            (worker, owned) = OpenSiteCapture.WithHint($"{registration.WorkerType.Name} (worker {Worker})", () => registration.Create(services));
            var created = worker;
            var outcome = await runState.RunToEndAsync(rs =>
            {
                // Losing the lease cancels the run at once (at once too if it was lost before the run began).
                lost = lease?.LostToken.UnsafeRegister(static s => ((RunState)s!).Cancel(), rs);
                instance.BeginRun();
                controller.WorkerStarted(instance);
                instance.ApplyPause(); // paused before the restart: stays paused
                return created.ExecuteAsync(rs) ?? Task.FromException(new InvalidOperationException($"Worker {Worker} returned a null Task."));
            }).ConfigureAwait(false);

            if (outcome.HandlerFailure is { } handlerFailure)
            {
                WorkersLog.StopHandlersFailed(logger, Worker, handlerFailure); // a StateChanged or Stopped handler threw; the run is stopped anyway
            }

            failure = outcome.Failure;
            if (failure is not null)
            {
                instance.RecordFailure(failure);
                WorkersLog.Failed(logger, Worker, failure);
            }

            return failure;
        }
        catch (Exception ex)
        {
            // Creating the worker (or its scope's services) failed.
            failure = ex;
            instance.RecordFailure(ex);
            WorkersLog.Failed(logger, Worker, ex);
            return ex;
        }
        finally
        {
            lost?.Dispose();
            controller.WorkerStarted(instance); // ended trying (a failed creation, say): it will not block readiness
            await DisposeAsync(worker, owned, scope).ConfigureAwait(false);
            if (onTransition is not null)
            {
                runState.StateChanged -= onTransition;
            }

            var outcome = failure is not null ? "failed" : runState.IsCancelled ? "cancelled" : "completed";
            HostingMetrics.RunEnded(instance.Name, startedAt, outcome);
            if (activity is not null)
            {
                lock (transitions!)
                {
                    transitions.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
                    transitions.ForEach(t => HostingMetrics.Transition(activity, t));
                }

                HostingMetrics.EndRun(activity, failure);
            }
        }
    }

    private async Task DisposeAsync(IRunStateWorker? worker, bool owned, AsyncServiceScope scope)
    {
        try
        {
            if (owned)
            {
                switch (worker)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }

            await scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            WorkersLog.DisposeFailed(logger, Worker, ex);
        }
    }
}
