using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Steward.Coordination;

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

    private string Worker => $"{instance.Name}#{instance.Index}";

    /// <summary>Supervises until the host stops or the worker ends for good. Never throws.</summary>
    public async Task RunAsync()
    {
        var host = controller.Host;
        while (!host.IsCancelled)
        {
            var failure = await RunOnceAsync().ConfigureAwait(false);
            if (host.IsCancelled)
            {
                break; // stopping with the host: whatever the run did, it is over
            }

            var restart = settings.Current.For(registration.Name).Restart;
            if (failure is null && restart.Policy != RestartPolicy.Always)
            {
                LogEnded(Worker);
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
                LogGaveUp(Worker, restart.MaxRestarts, restart.Window, failure);
                controller.Exit(StewardExitCodes.Failure, $"worker {Worker} gave up after {restart.MaxRestarts} restarts within {restart.Window}");
                return;
            }

            var delay = Backoff.Delay(_restartsInWindow, restart, Random.Shared.NextDouble());
            _restartsInWindow++;
            instance.SetHealth(WorkerHealth.Restarting);
            LogRestarting(Worker, delay, _restartsInWindow, restart.MaxRestarts);
            try
            {
                await Task.Delay(delay, _clock, host.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break; // the host is stopping: no restart
            }

            instance.RecordRestart();
        }

        instance.SetHealth(WorkerHealth.Stopped);
    }

    /// <summary>One run in its own scope. Returns the failure, or null for a normal return or a cancellation.</summary>
    /// <remarks>
    /// What <see cref="RunState.RunAsync"/> does (start, <see cref="RunState.Current"/>, cancel on failure, stop), but
    /// awaiting the work without rethrowing: a host stop ends every worker with a cancellation at once, and each rethrow
    /// through another async frame would cost a stack trace per worker.
    /// </remarks>
    private async Task<Exception?> RunOnceAsync()
    {
        var runState = instance.RunState;
        IRunStateWorker? worker = null;
        var owned = false;
        var scope = scopes.CreateAsyncScope();
        try
        {
            var services = scope.ServiceProvider;
            (worker, owned) = OpenSiteCapture.WithHint($"{registration.WorkerType.Name} (worker {Worker})", () => registration.Create(services));
            runState.Start();
            RunState.SetCurrent(runState); // for the work started below; this async method's change does not leak out
            instance.BeginRun();
            instance.ApplyPause(); // paused before the restart: stays paused

            Task work;
            try
            {
                work = worker.ExecuteAsync(runState) ?? Task.FromException(new InvalidOperationException($"Worker {Worker} returned a null Task."));
            }
            catch (Exception ex)
            {
                work = Task.FromException(ex);
            }

            await work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var failure = await FailureOfAsync(work, runState).ConfigureAwait(false);
            if (failure is not null)
            {
                runState.Cancel(); // as RunAsync: a failed run is cancelled, then stopped
                instance.RecordFailure(failure);
                LogFailed(Worker, failure);
            }

            return failure;
        }
        catch (Exception ex)
        {
            // Creating the worker (or its scope's services) failed.
            instance.RecordFailure(ex);
            LogFailed(Worker, ex);
            return ex;
        }
        finally
        {
            try
            {
                runState.StopCore(throwIfNotRunning: false);
            }
            catch (Exception ex)
            {
                LogStopHandlersFailed(Worker, ex); // a StateChanged or Stopped handler threw; the run is stopped anyway
            }

            await DisposeAsync(worker, owned, scope).ConfigureAwait(false);
        }
    }

    /// <summary>How <paramref name="work"/> ended: null for success or a cancellation through its RunState.</summary>
    private static async ValueTask<Exception?> FailureOfAsync(Task work, RunState runState)
    {
        if (work.IsCompletedSuccessfully)
        {
            return null;
        }

        if (work.IsFaulted)
        {
            var error = work.Exception!.InnerExceptions.Count == 1 ? work.Exception.InnerException! : work.Exception;
            return error is OperationCanceledException && runState.IsCancelled ? null : error;
        }

        // Canceled: the normal way out when the RunState was cancelled. Otherwise (some other token) it is a failure,
        // and only then is the exception fetched, by the one await that rethrows it.
        if (runState.IsCancelled)
        {
            return null;
        }

        try
        {
            await work.ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException ex)
        {
            return ex;
        }
    }

    private async Task DisposeAsync(IRunStateWorker? worker, bool owned, AsyncServiceScope scope)
    {
        try
        {
            if (owned)
            {
                await Disposal.DisposeAsync(worker).ConfigureAwait(false);
            }

            await scope.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogDisposeFailed(Worker, ex);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Error, Message = "Worker {Worker} failed")]
    private partial void LogFailed(string worker, Exception exception);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning,
        Message = "Worker {Worker} restarts in {Delay} (restart {Restart} of at most {MaxRestarts} in the window)")]
    private partial void LogRestarting(string worker, TimeSpan delay, int restart, int maxRestarts);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Critical,
        Message = "Worker {Worker} gave up: more than {MaxRestarts} restarts within {Window}; stopping the host")]
    private partial void LogGaveUp(string worker, int maxRestarts, TimeSpan window, Exception? exception);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Worker {Worker} ended; its restart policy does not restart it")]
    private partial void LogEnded(string worker);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Error, Message = "A handler of worker {Worker}'s stop failed")]
    private partial void LogStopHandlersFailed(string worker, Exception exception);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Error, Message = "Disposing worker {Worker} or its scope failed")]
    private partial void LogDisposeFailed(string worker, Exception exception);
}
