using Microsoft.Extensions.Logging;
using Steward.Diagnostics;

namespace Steward.Deferred;

/// <summary>The log messages of <see cref="DeferredCalls{T}"/> (source-generated).</summary>
internal static partial class DeferredCallsLog
{
    [LoggerMessage(EventId = StewardEventIds.Deferred.OnewayFailed, Level = LogLevel.Error,
        Message = "DeferredCalls '{Handler}': oneway call '{Call}' failed.")]
    internal static partial void OnewayFailed(ILogger logger, string handler, string call, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Deferred.OnewayFailedHandlerThrew, Level = LogLevel.Error,
        Message = "DeferredCalls '{Handler}': an OnewayFailed handler threw while reporting the failure of '{Call}'.")]
    internal static partial void OnewayFailedHandlerThrew(ILogger logger, string handler, string call, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Deferred.OnewayRejectedClosed, Level = LogLevel.Warning,
        Message = "DeferredCalls '{Handler}' is closed: oneway call '{Call}' was rejected.")]
    internal static partial void OnewayRejectedClosed(ILogger logger, string handler, string call);

    [LoggerMessage(EventId = StewardEventIds.Deferred.OnewayRejectedFull, Level = LogLevel.Warning,
        Message = "DeferredCalls '{Handler}' is full (capacity {Capacity}): oneway call '{Call}' was rejected.")]
    internal static partial void OnewayRejectedFull(ILogger logger, string handler, int capacity, string call);

    [LoggerMessage(EventId = StewardEventIds.Deferred.FailedAfterCallerLeft, Level = LogLevel.Warning,
        Message = "DeferredCalls '{Handler}': call '{Call}' failed after its caller had given up (timeout, cancellation or close).")]
    internal static partial void FailedAfterCallerLeft(ILogger logger, string handler, string call, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Deferred.DroppedAtClose, Level = LogLevel.Warning,
        Message = "DeferredCalls '{Handler}' closed with calls left: {SyncCalls} sync calls failed with ClosedException and {OnewayCalls} oneway calls were dropped.")]
    internal static partial void DroppedAtClose(ILogger logger, string handler, int syncCalls, int onewayCalls);

    [LoggerMessage(EventId = StewardEventIds.Deferred.DrainDeadlinePassed, Level = LogLevel.Warning,
        Message = "DeferredCalls '{Handler}': the drain did not finish within {DrainTimeout}; call '{Call}' was still running and its token was cancelled.")]
    internal static partial void DrainDeadlinePassed(ILogger logger, string handler, TimeSpan drainTimeout, string call);

    [LoggerMessage(EventId = StewardEventIds.Deferred.Drained, Level = LogLevel.Debug,
        Message = "DeferredCalls '{Handler}' closed: {Drained} pending calls were drained.")]
    internal static partial void Drained(ILogger logger, string handler, int drained);

    [LoggerMessage(EventId = StewardEventIds.Deferred.AbortCallbacksFailed, Level = LogLevel.Error,
        Message = "DeferredCalls '{Handler}': cancelling the calls still running at the drain deadline threw.")]
    internal static partial void AbortCallbacksFailed(ILogger logger, string handler, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Deferred.CallTokenCallbackFailed, Level = LogLevel.Error,
        Message = "DeferredCalls '{Handler}': a callback registered on the token of call '{Call}' threw when it was cancelled.")]
    internal static partial void CallTokenCallbackFailed(ILogger logger, string handler, string call, Exception exception);
}
