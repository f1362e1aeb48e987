using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace Steward.Hosting;

/// <summary>
/// What systemd told this process through its environment: where to send notifications, whether this is the service's
/// main process, the watchdog interval, and whether output goes to the journal.
/// </summary>
internal sealed record SystemdEnvironment(string? NotifySocket, bool IsMainProcess, TimeSpan? Watchdog, bool JournalStream)
{
    /// <summary>Notifications are sent only by the service's main process, and only when systemd gave a socket.</summary>
    public bool IsActive => NotifySocket is not null && IsMainProcess;

    /// <summary>Reads this process's environment.</summary>
    public static SystemdEnvironment FromProcess()
    {
        var pid = Environment.ProcessId;
        var socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 } path ? path : null;

        // The main process: started by systemd itself (the package's test: parent named systemd, or PID 1), or named by
        // SYSTEMD_EXEC_PID, which systemd 248 and later set to the pid it started (exec'ing keeps the pid).
        var isMain = SystemdHelpers.IsSystemdService()
                     || (int.TryParse(Environment.GetEnvironmentVariable("SYSTEMD_EXEC_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out var execPid)
                         && execPid == pid);

        // WATCHDOG_USEC applies to this process unless WATCHDOG_PID names another one.
        TimeSpan? watchdog = null;
        if (long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec)
            && usec > 0
            && (!int.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out var watchdogPid)
                || watchdogPid == pid))
        {
            watchdog = TimeSpan.FromMicroseconds(usec);
        }

        var journal = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        return new SystemdEnvironment(socket, isMain, watchdog, journal);
    }
}
