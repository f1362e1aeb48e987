using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>The systemd integration: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class SystemdLog
{
    [LoggerMessage(EventId = StewardEventIds.Systemd.Active, Level = LogLevel.Information,
        Message = "systemd notifications on (NOTIFY_SOCKET={Socket}); watchdog {Watchdog}")]
    public static partial void Active(ILogger logger, string socket, string watchdog);

    [LoggerMessage(EventId = StewardEventIds.Systemd.NotifySocketUnreachable, Level = LogLevel.Warning,
        Message = "systemd's notification socket NOTIFY_SOCKET={Socket} cannot be reached ({Reason}); the service goes on without telling systemd")]
    public static partial void NotifySocketUnreachable(ILogger logger, string socket, string reason);

    [LoggerMessage(EventId = StewardEventIds.Systemd.WatchdogWithheld, Level = LogLevel.Warning,
        Message = "Withholding the systemd watchdog ping while unhealthy ({Reason}): systemd restarts the service if this lasts past WatchdogSec")]
    public static partial void WatchdogWithheld(ILogger logger, string reason);

    [LoggerMessage(EventId = StewardEventIds.Systemd.WatchdogResumed, Level = LogLevel.Information,
        Message = "Healthy again: systemd watchdog pings resumed")]
    public static partial void WatchdogResumed(ILogger logger);

    [LoggerMessage(EventId = StewardEventIds.Systemd.Ready, Level = LogLevel.Information,
        Message = "Told systemd the service is ready: {Status}")]
    public static partial void Ready(ILogger logger, string status);
}
