using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.Tasklets;

/// <summary>The tasklet capability's log messages (source-generated).</summary>
internal static partial class TaskletLog
{
    [LoggerMessage(EventId = StewardEventIds.Tasklets.TaskletFailed, Level = LogLevel.Error,
        Message = "Tasklet '{Tasklet}' on loop '{Loop}' failed; the other tasklets go on.")]
    public static partial void TaskletFailed(ILogger logger, Exception exception, string tasklet, string loop);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.TaskletCancelled, Level = LogLevel.Debug,
        Message = "Tasklet '{Tasklet}' on loop '{Loop}' was cancelled.")]
    public static partial void TaskletCancelled(ILogger logger, string tasklet, string loop);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.MessageDiscarded, Level = LogLevel.Warning,
        Message = "Tasklet '{Tasklet}' discarded message '{Message}' (from {Sender}): its wait names no action for it and its DefaultMessageAction is Discard.")]
    public static partial void MessageDiscarded(ILogger logger, string tasklet, string message, string sender);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.MessageForFinishedTasklet, Level = LogLevel.Warning,
        Message = "Message '{Message}' (from {Sender}) for tasklet '{Tasklet}' was dropped: the tasklet had finished before it arrived.")]
    public static partial void MessageForFinishedTasklet(ILogger logger, string tasklet, string message, string sender);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.UndeliveredMessages, Level = LogLevel.Warning,
        Message = "Tasklet '{Tasklet}' finished with {Count} undelivered messages in its queue ({Names}); they are dropped.")]
    public static partial void UndeliveredMessages(ILogger logger, string tasklet, int count, string names);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.UndeliveredAtStop, Level = LogLevel.Information,
        Message = "Tasklet '{Tasklet}' ended with the loop's stop; {Count} messages still queued for it ({Names}) are dropped.")]
    public static partial void UndeliveredAtStop(ILogger logger, string tasklet, int count, string names);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.JoinCallbackFailed, Level = LogLevel.Error,
        Message = "A join callback of tasklet '{Tasklet}' failed; the other callbacks still run.")]
    public static partial void JoinCallbackFailed(ILogger logger, Exception exception, string tasklet);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.DisarmFailed, Level = LogLevel.Error,
        Message = "Disarming wait condition {Condition} of tasklet '{Tasklet}' failed; it is treated as disarmed.")]
    public static partial void DisarmFailed(ILogger logger, Exception exception, string condition, string tasklet);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.WorkItemFailed, Level = LogLevel.Error,
        Message = "A work item of tasklet loop '{Loop}' (tasklet '{Tasklet}') threw; the loop goes on.")]
    public static partial void WorkItemFailed(ILogger logger, Exception exception, string loop, string tasklet);

    [LoggerMessage(EventId = StewardEventIds.Tasklets.StoppingCallbackFailed, Level = LogLevel.Error,
        Message = "A callback on the StoppingToken of tasklet loop '{Loop}' failed.")]
    public static partial void StoppingCallbackFailed(ILogger logger, Exception exception, string loop);
}
