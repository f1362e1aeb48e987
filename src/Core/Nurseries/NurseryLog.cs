using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.Nurseries;

/// <summary>The nursery capability: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class NurseryLog
{
    [LoggerMessage(EventId = StewardEventIds.Nursery.ChildFailedCancelling, Level = LogLevel.Error,
        Message = "Child {Child} of nursery {Nursery} failed; cancelling the nursery (CancelAll)")]
    public static partial void ChildFailedCancelling(ILogger logger, string nursery, string child, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Nursery.ChildFailedIsolated, Level = LogLevel.Error,
        Message = "Child {Child} of nursery {Nursery} failed; its siblings go on (Isolate)")]
    public static partial void ChildFailedIsolated(ILogger logger, string nursery, string child, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Nursery.ChildFailedHandlerThrew, Level = LogLevel.Error,
        Message = "A ChildFailed handler of nursery {Nursery} threw while handling the failure of {Child}")]
    public static partial void ChildFailedHandlerThrew(ILogger logger, string nursery, string child, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Nursery.ClosedWithFailures, Level = LogLevel.Warning,
        Message = "Nursery {Nursery} closed with {Count} failure(s)")]
    public static partial void ClosedWithFailures(ILogger logger, string nursery, int count);
}
