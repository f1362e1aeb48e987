using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>The host's MultiOpen resources: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class ResourcesLog
{
    [LoggerMessage(EventId = StewardEventIds.Resources.Opened, Level = LogLevel.Information, Message = "Opened resource {Resource} for the host")]
    public static partial void Opened(ILogger logger, string resource);

    [LoggerMessage(EventId = StewardEventIds.Resources.Leaked, Level = LogLevel.Warning,
        Message = "Resource {Resource} still had {Count} open lease(s) at host stop (leaked scopes?), opened at: {Sites}")]
    public static partial void Leaked(ILogger logger, string resource, int count, string sites);

    [LoggerMessage(EventId = StewardEventIds.Resources.Closed, Level = LogLevel.Information, Message = "Closed resource {Resource}")]
    public static partial void Closed(ILogger logger, string resource);

    [LoggerMessage(EventId = StewardEventIds.Resources.DidNotClose, Level = LogLevel.Critical, Message = "Resource {Resource} did not shut down within the shutdown timeout of {Timeout}")]
    public static partial void DidNotClose(ILogger logger, string resource, TimeSpan timeout);

    [LoggerMessage(EventId = StewardEventIds.Resources.CloseFailed, Level = LogLevel.Error, Message = "Shutting down resource {Resource} failed")]
    public static partial void CloseFailed(ILogger logger, string resource, Exception exception);
}
