using Microsoft.Extensions.Logging;

namespace Steward.Nurseries;

public sealed partial class TaskNursery
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Error,
        Message = "Child {Child} of nursery {Nursery} failed; cancelling the nursery (CancelAll)")]
    private partial void LogChildFailedCancelling(string nursery, string child, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Child {Child} of nursery {Nursery} failed; its siblings go on (Isolate)")]
    private partial void LogChildFailedIsolated(string nursery, string child, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error,
        Message = "A ChildFailed handler of nursery {Nursery} threw while handling the failure of {Child}")]
    private partial void LogChildFailedHandlerThrew(string nursery, string child, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Nursery {Nursery} closed with {Count} failure(s)")]
    private partial void LogClosedWithFailures(string nursery, int count);
}
