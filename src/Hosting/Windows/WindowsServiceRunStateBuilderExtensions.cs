using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.WindowsServices;
using Steward.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs a Steward host as a Windows service (<c>Microsoft.Extensions.Hosting.WindowsServices</c> underneath).</summary>
public static class WindowsServiceRunStateBuilderExtensions
{
    /// <summary>
    /// When this process runs under the Windows service control manager, uses the package's Windows-service lifetime
    /// (<c>AddWindowsService()</c>) instead of Steward's: the SCM's stop request stops the host gracefully, POSIX signals
    /// do not apply, and logs also go to the Windows event log. Steward's exit code still decides how the process ends
    /// (<c>RunStewardAsync</c> returns it and sets <see cref="Environment.ExitCode"/>), and the SCM sees it: a worker that
    /// gives up (exit code 1) triggers the service's recovery actions (see <c>deploy/windows/</c>). Anywhere else
    /// (a console, Linux, a container) it does nothing.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IRunStateBuilder UseWindowsService(this IRunStateBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!OperatingSystem.IsWindows() || !WindowsServiceHelpers.IsWindowsService())
        {
            return builder;
        }

        builder.Services.AddWindowsService();
        builder.Services.AddHostedService<WindowsServiceExitCode>();
        return builder;
    }
}
