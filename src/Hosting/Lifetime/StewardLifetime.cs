using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Support;

namespace Steward.Hosting;

/// <summary>
/// Steward's <see cref="IHostLifetime"/>, replacing the console lifetime: SIGINT, SIGTERM and SIGQUIT stop the host
/// gracefully, and a second one while stopping exits at once with 128 + the signal number; the pause and resume signals
/// pause and resume every worker; the reload signal reloads the configuration. When the host has stopped, the exit code
/// Steward decided (<see cref="StewardExitCodes"/>) becomes the process's <see cref="Environment.ExitCode"/>.
/// </summary>
internal sealed partial class StewardLifetime(
    IHostApplicationLifetime lifetime,
    IHostEnvironment environment,
    StewardSettings settings,
    RunStateController controller,
    IConfiguration configuration,
    ILoggerFactory loggers) : IHostLifetime, IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Steward.Hosting.Lifetime");
    private readonly IHostApplicationLifetime _lifetime = lifetime;
    private readonly StewardSettings _settings = settings;
    private readonly RunStateController _controller = controller;
    private readonly IConfiguration _configuration = configuration;
    private readonly List<CancellationTokenRegistration> _callbacks = [];
    private SignalHandlers? _signals;
    private int _stopSignals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _callbacks.Add(_lifetime.ApplicationStarted.Register(() =>
        {
            LifetimeLog.Started(_logger, environment.EnvironmentName, environment.ContentRootPath);
        }));
        _callbacks.Add(_lifetime.ApplicationStopping.Register(() => LifetimeLog.Stopping(_logger)));
        _callbacks.Add(_lifetime.ApplicationStopped.Register(() =>
        {
            var code = _controller.ExitCode;
            if (code != StewardExitCodes.Success)
            {
                Environment.ExitCode = code;
            }

            LifetimeLog.Stopped(_logger, code);
        }));

        if (SignalHandlers.IsSupported)
        {
            RegisterSignals();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _signals?.Dispose();
        _callbacks.ForEach(c => c.Dispose());
    }
}
