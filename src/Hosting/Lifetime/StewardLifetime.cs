using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly List<CancellationTokenRegistration> _callbacks = [];
    private int _stopSignals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _callbacks.Add(lifetime.ApplicationStarted.Register(() =>
        {
            LogStarted(environment.EnvironmentName, environment.ContentRootPath);
        }));
        _callbacks.Add(lifetime.ApplicationStopping.Register(() => LogStopping()));
        _callbacks.Add(lifetime.ApplicationStopped.Register(() =>
        {
            var code = controller.ExitCode;
            if (code != StewardExitCodes.Success)
            {
                Environment.ExitCode = code;
            }

            LogStopped(code);
        }));

        if (OperatingSystem.IsBrowser() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsWasi())
        {
            return Task.CompletedTask;
        }

        Register(PosixSignal.SIGINT, OnStopSignal);
        Register(PosixSignal.SIGTERM, OnStopSignal);
        Register(PosixSignal.SIGQUIT, OnStopSignal);

        // Invalid names are reported by options validation, which fails the start right after this.
        var signals = settings.Current.Signals;
        var defaults = new SignalOptions();
        var failures = new List<string>();
        RegisterOptional(signals.Pause, defaults.Pause, "Pause", _ => controller.PauseAll(), failures);
        RegisterOptional(signals.Resume, defaults.Resume, "Resume", _ => controller.ResumeAll(), failures);
        RegisterOptional(signals.Reload, defaults.Reload, "Reload", OnReload, failures);
        if (failures.Count > 0)
        {
            // Every one at once, as options validation reports them. (What did register is disposed with the host.)
            throw new OptionsValidationException(StewardOptions.Section, typeof(StewardOptions), failures);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _registrations.ForEach(r => r.Dispose());
        _callbacks.ForEach(c => c.Dispose());
    }

    private void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true; // no default termination: the host stops gracefully
        if (Interlocked.Increment(ref _stopSignals) == 1)
        {
            LogStopSignal(context.Signal);
            lifetime.StopApplication();
            return;
        }

        var code = StewardExitCodes.SignalBase + SignalNames.Number(context.Signal);
        LogForcedExit(context.Signal, code);

        // Logging providers may write asynchronously and will not flush before the exit: say it on stderr too.
        Console.Error.WriteLine($"Steward: received {context.Signal} again while stopping: exiting at once with code {code}.");
        Console.Error.Flush();
        Environment.Exit(code);
    }

    private void OnReload(PosixSignalContext context)
    {
        if (configuration is IConfigurationRoot root)
        {
            try
            {
                root.Reload();
                LogReloaded(context.Signal);
            }
            catch (Exception ex)
            {
                // A reloaded value that does not bind or validate fails the options' change callbacks; Steward keeps
                // its previous settings (StewardSettings says which value was wrong) and the host keeps running.
                LogReloadFailed(context.Signal, ex);
            }
        }
        else
        {
            LogCannotReload(context.Signal);
        }
    }

    // A configured signal this platform cannot deliver is a configuration error (exit code 2): the operator asked for
    // it. The defaults only log a warning where they are unsupported (Windows), so the same settings work everywhere.
    private void RegisterOptional(string? name, string defaultName, string setting, Action<PosixSignalContext> handler, List<string> failures)
    {
        if (!SignalNames.TryParse(name, out var signal, out _) || signal is not { } parsed)
        {
            return;
        }

        var purpose = setting.ToLowerInvariant();
        var registered = Register(parsed, context =>
        {
            context.Cancel = true;
            LogSignal(context.Signal, purpose);
            try
            {
                handler(context);
            }
            catch (Exception ex)
            {
                LogSignalFailed(context.Signal, purpose, ex); // a signal handler must not take the process down
            }
        });
        // The default is recognised as a signal, not a spelling: "USR1" is SIGUSR1 too.
        var isDefault = SignalNames.TryParse(defaultName, out var fallback, out _) && fallback == parsed;
        if (registered is { } reason && !isDefault)
        {
            var key = $"{StewardOptions.Section}:{nameof(StewardOptions.Signals)}:{setting}";
            failures.Add($"{key}: '{name}' cannot be handled on this platform: {reason}.");
        }
    }

    // Null when registered; otherwise why not (already logged).
    private string? Register(PosixSignal signal, Action<PosixSignalContext> handler)
    {
        try
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, handler));
            return null;
        }
        catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or ArgumentOutOfRangeException)
        {
            LogSignalUnsupported(signal, ex.Message);
            return ex.Message;
        }
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
