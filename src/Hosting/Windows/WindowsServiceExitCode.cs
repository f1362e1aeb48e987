using System.Runtime.Versioning;
using System.ServiceProcess;
using Microsoft.Extensions.Hosting;

namespace Steward.Hosting;

/// <summary>
/// Hands Steward's exit code to the service control manager. The package's <c>WindowsServiceLifetime</c> is a
/// <see cref="ServiceBase"/>: when the host stops itself (a worker gave up, say), <c>IHost.StopAsync</c> raises
/// ApplicationStopped and then calls the lifetime's <c>StopAsync</c>, which calls <see cref="ServiceBase.Stop"/>, which
/// reports SERVICE_STOPPED to the SCM with <see cref="ServiceBase.ExitCode"/> as the service's exit code. Setting that
/// property at ApplicationStopped (before <c>Stop</c>) is what makes the SCM see 1 rather than 0, so that recovery
/// actions configured for non-crash failures (<c>sc.exe failureflag &lt;name&gt; 1</c>) restart the service.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsServiceExitCode(IHostLifetime hostLifetime, IHostApplicationLifetime lifetime, RunStateController controller)
    : IHostedService
{
    private CancellationTokenRegistration _stopped;

    /// <summary>Arranges for the exit code to reach the lifetime when the host has stopped.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopped = lifetime.ApplicationStopped.Register(() =>
        {
            if (hostLifetime is ServiceBase service)
            {
                service.ExitCode = controller.ExitCode;
            }
        });
        return Task.CompletedTask;
    }

    /// <summary>Nothing: the registration fires at ApplicationStopped, after every StopAsync.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
