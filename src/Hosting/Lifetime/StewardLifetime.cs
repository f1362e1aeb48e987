using System.Runtime.InteropServices;
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
            LogStarted(environment.EnvironmentName, environment.ContentRootPath);
        }));
        _callbacks.Add(_lifetime.ApplicationStopping.Register(() => LogStopping()));
        _callbacks.Add(_lifetime.ApplicationStopped.Register(() =>
        {
            var code = _controller.ExitCode;
            if (code != StewardExitCodes.Success)
            {
                Environment.ExitCode = code;
            }

            LogStopped(code);
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


    [LoggerMessage(EventId = 2501, Level = LogLevel.Information,
        Message = "Application started ({Environment}, content root {ContentRoot}). Press Ctrl+C to shut down.")]
    private partial void LogStarted(string environment, string contentRoot);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Information, Message = "Application is shutting down...")]
    private partial void LogStopping();

    [LoggerMessage(EventId = 2503, Level = LogLevel.Information, Message = "Application stopped, exit code {ExitCode}")]
    private partial void LogStopped(int exitCode);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Information, Message = "Received {Signal}: stopping gracefully (send it again to exit at once)")]
    private partial void LogStopSignal(PosixSignal signal);

    [LoggerMessage(EventId = 2505, Level = LogLevel.Critical, Message = "Received {Signal} again while stopping: exiting at once with code {ExitCode}")]
    private partial void LogForcedExit(PosixSignal signal, int exitCode);

    [LoggerMessage(EventId = 2506, Level = LogLevel.Information, Message = "Received signal {Signal}: {Purpose}")]
    private partial void LogSignal(PosixSignal signal, string purpose);

    [LoggerMessage(EventId = 2507, Level = LogLevel.Information, Message = "Configuration reloaded on signal {Signal}")]
    private partial void LogReloaded(PosixSignal signal);

    [LoggerMessage(EventId = 2510, Level = LogLevel.Error, Message = "Reloading the configuration on signal {Signal} failed")]
    private partial void LogReloadFailed(PosixSignal signal, Exception exception);

    [LoggerMessage(EventId = 2511, Level = LogLevel.Error, Message = "Handling signal {Signal} ({Purpose}) failed")]
    private partial void LogSignalFailed(PosixSignal signal, string purpose, Exception exception);

    [LoggerMessage(EventId = 2508, Level = LogLevel.Warning, Message = "Signal {Signal} asks for a reload, but the configuration cannot be reloaded")]
    private partial void LogCannotReload(PosixSignal signal);

    [LoggerMessage(EventId = 2509, Level = LogLevel.Warning, Message = "Signal {Signal} cannot be handled on this platform: {Reason}")]
    private partial void LogSignalUnsupported(PosixSignal signal, string reason);
}
