using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs a Steward host as a systemd service (<c>Microsoft.Extensions.Hosting.Systemd</c> underneath).</summary>
public static class SystemdRunStateBuilderExtensions
{
    /// <summary>
    /// Tells systemd how the service is doing, when this process is a systemd service's main process
    /// (<c>NOTIFY_SOCKET</c> is set, and systemd started this process or <c>SYSTEMD_EXEC_PID</c> names it): READY=1 once
    /// every worker has started, STATUS= with the workers' health on each change (at most once a second), RELOADING=1
    /// then READY=1 around a reload, STOPPING=1 and EXTEND_TIMEOUT_USEC= during the drain, and WATCHDOG=1 every half
    /// <c>WatchdogSec</c> while no worker is faulted, gave up or stalled. When the output goes to the journal
    /// (<c>JOURNAL_STREAM</c>), console logs are one line each with a syslog priority prefix and no timestamp (journald
    /// stamps them). Anywhere else it does nothing: the same program runs from a terminal, a container or a unit.
    /// </summary>
    /// <remarks>Use it with <c>Type=notify</c> and <c>NotifyAccess=main</c>; <c>deploy/systemd/</c> has a unit.</remarks>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder UseSystemd(this IRunStateBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (OperatingSystem.IsBrowser())
        {
            return builder;
        }

        var environment = SystemdEnvironment.FromProcess();
        if (environment.JournalStream)
        {
            builder.Services.AddLogging(logging => logging.AddSystemdConsole());
        }

        if (!environment.IsActive || builder.Services.Any(d => d.ServiceType == typeof(SystemdHostedService)))
        {
            return builder;
        }

        builder.Services.AddSingleton(environment);
        builder.Services.TryAddSingleton(sp => new StewardSystemdNotifier(
            environment.NotifySocket, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Steward.Hosting.Systemd")));
        builder.Services.Replace(ServiceDescriptor.Singleton<ISystemdNotifier>(sp => sp.GetRequiredService<StewardSystemdNotifier>()));
        builder.Services.AddSingleton<SystemdHostedService>();
        builder.Services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SystemdHostedService>());
        return builder;
    }
}
