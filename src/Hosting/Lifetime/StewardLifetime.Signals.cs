using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Steward.Support;

namespace Steward.Hosting;

// StewardLifetime: the POSIX signals (stop, pause, resume, reload), where the platform delivers them.
internal sealed partial class StewardLifetime
{
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    private void RegisterSignals()
    {
        var signals = _signals = new SignalHandlers();
        foreach (var stop in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT])
        {
            if (signals.TryAdd(stop, OnStopSignal) is { } reason)
            {
                LifetimeLog.SignalUnsupported(_logger, new SignalName(stop), reason);
            }
        }

        // Invalid names are reported by options validation, which fails the start right after this.
        var settings = _settings.Current.Signals;
        var defaults = new SignalOptions();
        var failures = new List<string>();
        RegisterOptional(signals, settings.Pause, defaults.Pause, "Pause", _ => _controller.PauseAll(), failures);
        RegisterOptional(signals, settings.Resume, defaults.Resume, "Resume", _ => _controller.ResumeAll(), failures);
        RegisterOptional(signals, settings.Reload, defaults.Reload, "Reload", OnReload, failures);
        if (failures.Count > 0)
        {
            // Every one at once, as options validation reports them. (What did register is disposed with the host.)
            throw new OptionsValidationException(StewardOptions.Section, typeof(StewardOptions), failures);
        }
    }

    private void OnStopSignal(PosixSignalContext context)
    {
        // Handled (no default termination): the host stops gracefully.
        if (Interlocked.Increment(ref _stopSignals) == 1)
        {
            LifetimeLog.StopSignal(_logger, new SignalName(context.Signal));
            _lifetime.StopApplication();
            return;
        }

        var code = StewardExitCodes.SignalBase + SignalNames.Number(context.Signal);
        LifetimeLog.ForcedExit(_logger, new SignalName(context.Signal), code);

        // Logging providers may write asynchronously and will not flush before the exit: say it on stderr too.
        Console.Error.WriteLine($"Steward: received {context.Signal} again while stopping: exiting at once with code {code}.");
        Console.Error.Flush();
        SignalHandlers.ExitSoon(code); // outside this handler's frame
    }

    private void OnReload(PosixSignalContext context)
    {
        if (_configuration is IConfigurationRoot root)
        {
            _controller.OnReloading();
            try
            {
                root.Reload();
                LifetimeLog.Reloaded(_logger, new SignalName(context.Signal));
            }
            catch (Exception ex)
            {
                // A file that does not load (outside StewardHost's builder), or options of the application's own that
                // do not validate under the framework's monitor, fail the reload's change callbacks. One line naming
                // what was wrong, no stack trace; Steward keeps its previous settings and the host keeps running.
                LifetimeLog.ReloadFailed(_logger, new SignalName(context.Signal), ConfigurationProblems.Describe(ex));
            }
            finally
            {
                _controller.OnReloaded();
            }
        }
        else
        {
            LifetimeLog.CannotReload(_logger, new SignalName(context.Signal));
        }
    }

    // A configured signal this platform cannot deliver is a configuration error (exit code 2): the operator asked for
    // it. The defaults only log a warning where they are unsupported (Windows), so the same settings work everywhere.
    [UnsupportedOSPlatform("browser")]
    [UnsupportedOSPlatform("ios")]
    [UnsupportedOSPlatform("tvos")]
    private void RegisterOptional(
        SignalHandlers signals, string? name, string defaultName, string setting, Action<PosixSignalContext> handler, List<string> failures)
    {
        if (!SignalNames.TryParse(name, out var signal, out _) || signal is not { } parsed)
        {
            return;
        }

        var purpose = setting.ToLowerInvariant();
        var reason = signals.TryAdd(parsed, context =>
        {
            LifetimeLog.Signal(_logger, new SignalName(context.Signal), purpose);
            try
            {
                handler(context);
            }
            catch (Exception ex)
            {
                LifetimeLog.SignalFailed(_logger, new SignalName(context.Signal), purpose, ex); // a signal handler must not take the process down
            }
        });
        if (reason is null)
        {
            return;
        }

        LifetimeLog.SignalUnsupported(_logger, new SignalName(parsed), reason);

        // The default is recognised as a signal, not a spelling: "USR1" is SIGUSR1 too.
        var isDefault = SignalNames.TryParse(defaultName, out var fallback, out _) && fallback == parsed;
        if (!isDefault)
        {
            var key = $"{StewardOptions.Section}:{nameof(StewardOptions.Signals)}:{setting}";
            failures.Add($"{key}: '{name}' cannot be handled on this platform: {reason}.");
        }
    }
}
