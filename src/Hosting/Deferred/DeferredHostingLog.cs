using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>The host's deferred-call handlers: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class DeferredHostingLog
{
    [LoggerMessage(EventId = StewardEventIds.DeferredHosting.Processing, Level = LogLevel.Information, Message = "Processing the deferred calls of {Handler}")]
    public static partial void Processing(ILogger logger, string handler);

    [LoggerMessage(EventId = StewardEventIds.DeferredHosting.Drained, Level = LogLevel.Information, Message = "Closed the deferred calls of {Handler} ({Pending} were pending at stop)")]
    public static partial void Drained(ILogger logger, string handler, int pending);

    [LoggerMessage(EventId = StewardEventIds.DeferredHosting.DidNotDrain, Level = LogLevel.Critical,
        Message = "The deferred calls of {Handler} did not drain within the shutdown timeout of {Timeout}; {Pending} still pending")]
    public static partial void DidNotDrain(ILogger logger, string handler, TimeSpan timeout, int pending);

    [LoggerMessage(EventId = StewardEventIds.DeferredHosting.ProcessingFailed, Level = LogLevel.Error, Message = "Processing the deferred calls of {Handler} failed")]
    public static partial void ProcessingFailed(ILogger logger, string handler, Exception exception);
}
