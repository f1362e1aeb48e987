using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>Workers, their supervision and the host nursery: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class WorkersLog
{
    [LoggerMessage(EventId = StewardEventIds.Workers.Started, Level = LogLevel.Information, Message = "Started {Instances} instances of {Workers} workers")]
    public static partial void Started(ILogger logger, int instances, int workers);

    [LoggerMessage(EventId = StewardEventIds.Workers.NotStarted, Level = LogLevel.Information, Message = "The host began to stop while starting: no worker was started")]
    public static partial void NotStarted(ILogger logger);

    [LoggerMessage(EventId = StewardEventIds.Workers.Disabled, Level = LogLevel.Information, Message = "Worker {Worker} is disabled (Steward:Workers:{Worker}:Enabled = false)")]
    public static partial void Disabled(ILogger logger, string worker);

    [LoggerMessage(EventId = StewardEventIds.Workers.DidNotStop, Level = LogLevel.Critical,
        Message = "Worker {Worker}#{Instance} did not stop within the shutdown timeout of {Timeout}: state {State}, last checkpoint {LastCheckpoint} ({SinceCheckpoint} ago); abandoning it")]
    public static partial void DidNotStop(ILogger logger, string worker, int instance, TimeSpan timeout, RunStateStatus state, DateTimeOffset? lastCheckpoint, TimeSpan? sinceCheckpoint);

    [LoggerMessage(EventId = StewardEventIds.Workers.DidNotFinish, Level = LogLevel.Critical,
        Message = "Worker {Worker}#{Instance} did not finish within the shutdown timeout of {Timeout}: state {State}, so creating or disposing the worker or its scoped services is what hangs; abandoning it")]
    public static partial void DidNotFinish(ILogger logger, string worker, int instance, TimeSpan timeout, RunStateStatus state);

    [LoggerMessage(EventId = StewardEventIds.Workers.Stalled, Level = LogLevel.Warning, Message = "Worker {Worker}#{Instance} is stalled: no checkpoint for {SinceCheckpoint}")]
    public static partial void Stalled(ILogger logger, string worker, int instance, TimeSpan sinceCheckpoint);

    [LoggerMessage(EventId = StewardEventIds.Workers.PausedAll, Level = LogLevel.Information, Message = "Paused all {Count} worker instances")]
    public static partial void PausedAll(ILogger logger, int count);

    [LoggerMessage(EventId = StewardEventIds.Workers.ResumedAll, Level = LogLevel.Information, Message = "Resumed all {Count} worker instances")]
    public static partial void ResumedAll(ILogger logger, int count);

    [LoggerMessage(EventId = StewardEventIds.Workers.Exit, Level = LogLevel.Warning, Message = "Exit code {ExitCode}: {Reason}")]
    public static partial void Exit(ILogger logger, int exitCode, string reason);

    [LoggerMessage(EventId = StewardEventIds.Workers.Failed, Level = LogLevel.Error, Message = "Worker {Worker} failed")]
    public static partial void Failed(ILogger logger, string worker, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Workers.Restarting, Level = LogLevel.Warning,
        Message = "Worker {Worker} restarts in {Delay} (restart {Restart} of at most {MaxRestarts} in the window)")]
    public static partial void Restarting(ILogger logger, string worker, TimeSpan delay, int restart, int maxRestarts);

    [LoggerMessage(EventId = StewardEventIds.Workers.GaveUp, Level = LogLevel.Critical,
        Message = "Worker {Worker} gave up: more than {MaxRestarts} restarts within {Window}; stopping the host")]
    public static partial void GaveUp(ILogger logger, string worker, int maxRestarts, TimeSpan window, Exception? exception);

    [LoggerMessage(EventId = StewardEventIds.Workers.Ended, Level = LogLevel.Information, Message = "Worker {Worker} ended; its restart policy does not restart it")]
    public static partial void Ended(ILogger logger, string worker);

    [LoggerMessage(EventId = StewardEventIds.Workers.StopHandlersFailed, Level = LogLevel.Error, Message = "A handler of worker {Worker}'s stop failed")]
    public static partial void StopHandlersFailed(ILogger logger, string worker, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Workers.DisposeFailed, Level = LogLevel.Error, Message = "Disposing worker {Worker} or its scope failed")]
    public static partial void DisposeFailed(ILogger logger, string worker, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Workers.CloseFailure, Level = LogLevel.Error, Message = "The host nursery {Nursery} closed with a failure")]
    public static partial void CloseFailure(ILogger logger, string nursery, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Workers.Renamed, Level = LogLevel.Warning,
        Message = "A live nursery is already named {Name} (another host in this process?): the host nursery is {Actual}")]
    public static partial void Renamed(ILogger logger, string name, string actual);

    [LoggerMessage(EventId = StewardEventIds.Workers.DidNotClose, Level = LogLevel.Critical,
        Message = "The host nursery {Nursery} did not close within the shutdown timeout of {Timeout}; {Children} children abandoned")]
    public static partial void DidNotClose(ILogger logger, string nursery, TimeSpan timeout, int children);
}
