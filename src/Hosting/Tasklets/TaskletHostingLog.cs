using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>The host's tasklet loop: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class TaskletHostingLog
{
    [LoggerMessage(EventId = StewardEventIds.TaskletHosting.NotStarted, Level = LogLevel.Information,
        Message = "Tasklet loop {Loop}: the host is stopping before it started; no tasklets were spawned")]
    public static partial void NotStarted(ILogger logger, string loop);

    [LoggerMessage(EventId = StewardEventIds.TaskletHosting.StopFailed, Level = LogLevel.Error, Message = "Stopping tasklet loop {Loop} failed")]
    public static partial void StopFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.TaskletHosting.Started, Level = LogLevel.Information, Message = "Tasklet loop {Loop} started with {Count} tasklets")]
    public static partial void Started(ILogger logger, string loop, int count);

    [LoggerMessage(EventId = StewardEventIds.TaskletHosting.DidNotStop, Level = LogLevel.Critical,
        Message = "Tasklet loop {Loop} did not stop within the shutdown timeout of {Timeout}: {Count} tasklets still running (awaiting something other than a tasklet wait?)")]
    public static partial void DidNotStop(ILogger logger, string loop, TimeSpan timeout, int count);
}
