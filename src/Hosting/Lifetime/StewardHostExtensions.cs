using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Steward.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a Steward host and turns its outcome into a process exit code.</summary>
public static class StewardHostExtensions
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Starts the host, waits until it stops, disposes it, and returns the exit code (<see cref="StewardExitCodes"/>):
    /// 0 clean, 1 a worker gave up or the host nursery failed or start-up failed, 2 invalid configuration (each problem
    /// is written to stderr naming the key and the value; nothing was started), 3 shutdown timeout. Use it as
    /// <c>return await host.RunStewardAsync();</c>. A stop requested while the host is starting stops what started and
    /// is a normal stop (0 unless something failed). Disposal is bounded by the shutdown timeout. (A second stop signal
    /// exits the process directly with 128+n.)
    /// </summary>
    /// <param name="host">The built host.</param>
    /// <param name="cancellationToken">Stops the host when cancelled.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunStewardAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var controller = host.Services.GetService<RunStateController>();
        int? code = null;
        try
        {
            code = await StartAsync(host, cancellationToken).ConfigureAwait(false);
            if (code is null)
            {
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller stopped the host: a normal stop, whatever it cancelled on the way.
        }
        catch (Exception ex)
        {
            // Stopping failed (a hosted service's StopAsync threw, say): the host is down, but not cleanly.
            await Console.Error.WriteLineAsync($"Steward: stopping the host failed: {ex}").ConfigureAwait(false);
            code = Math.Max(StewardExitCodes.Failure, controller?.ExitCode ?? 0);
        }
        finally
        {
            await DisposeAsync(host, controller).ConfigureAwait(false);
        }

        // An early code (a failed start) stands unless the disposal recorded something more severe.
        return Finish(code is { } early ? Math.Max(early, controller?.ExitCode ?? 0) : controller?.ExitCode ?? Environment.ExitCode);
    }

    /// <summary>Starts the host; null when it started, else the exit code of a start that failed (after stopping what
    /// had started).</summary>
    private static async Task<int?> StartAsync(IHost host, CancellationToken cancellationToken)
    {
        // Options registered with ValidateOnStart are validated here, before the host starts: a bad configuration is then
        // one line each on stderr and exit code 2, rather than also the host's "Hosting failed to start" with the stack
        // trace of whichever service first read the options.
        if (Validate(host) is { } problems)
        {
            var invalid = await ReportInvalidAsync(host, problems).ConfigureAwait(false);
            LogStopped(host, invalid); // nothing was started, so no ApplicationStopped will say it
            return invalid;
        }

        int code;
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested
            || host.Services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.IsCancellationRequested == true)
        {
            // A stop was requested while starting (a signal, a worker giving up, the caller's token): the start was cut
            // short on purpose. (Any other cancellation, a startup timeout say, is a failed start below.)
            // Stop what did start; the exit code is whatever Steward decided, 0 for a plain stop request.
            var stopCode = host.Services.GetService<RunStateController>()?.ExitCode ?? StewardExitCodes.Success;
            await StopAfterFailedStartAsync(host, stopCode).ConfigureAwait(false);
            return host.Services.GetService<RunStateController>()?.ExitCode ?? StewardExitCodes.Success;
        }
        catch (OptionsValidationException ex)
        {
            code = await ReportInvalidAsync(host, ex.Failures).ConfigureAwait(false);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0 && ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            // Several options types failed validation at start (the host's startup validator aggregates them).
            code = await ReportInvalidAsync(host, ConfigurationProblems.List(ex)).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (IsBindingFailure(ex))
        {
            code = await ReportInvalidAsync(host, ConfigurationProblems.List(ex)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"Start-up failed: {ex}").ConfigureAwait(false);
            code = StewardExitCodes.Failure;
            host.Services.GetService<RunStateController>()?.RecordExitCode(code, $"start-up failed: {ex.Message}");
        }

        // Whatever had started (an opened resource, a started service) is stopped before the host is disposed.
        await StopAfterFailedStartAsync(host, code).ConfigureAwait(false);
        return code;
    }

    // Each problem on its own stderr line, naming the key and the value; exit code 2, which the log's last line
    // ("Application stopped, exit code 2") then states too.
    private static async Task<int> ReportInvalidAsync(IHost host, IEnumerable<string> problems)
    {
        var count = 0;
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"Invalid configuration: {problem}").ConfigureAwait(false);
            count++;
        }

        host.Services.GetService<RunStateController>()?.RecordExitCode(StewardExitCodes.InvalidConfiguration,
            $"invalid configuration ({count} {(count == 1 ? "problem" : "problems")}, each named on stderr); nothing was started");
        return StewardExitCodes.InvalidConfiguration;
    }

    private static async Task StopAfterFailedStartAsync(IHost host, int code)
    {
        var lifetime = host.Services.GetService<IHostApplicationLifetime>();
        try
        {
            // The same slack over Steward's budget as the host's own stop gets, so Steward's accounting comes first.
            using var timeout = new CancellationTokenSource((SettingsOf(host)?.ShutdownTimeout ?? s_defaultTimeout) + TimeSpan.FromSeconds(5));
            await host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (ArgumentNullException) when (lifetime is { ApplicationStopped.IsCancellationRequested: false })
        {
            // The start failed in the host's own start-up validation, before it had resolved its hosted services:
            // nothing had started, and the host's StopAsync cannot run (it walks the list it never made).
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"Steward: stopping after the failed start failed too: {ex.Message}").ConfigureAwait(false);
        }

        if (lifetime is { ApplicationStopped.IsCancellationRequested: false })
        {
            LogStopped(host, code); // ApplicationStopped never came, so Steward's lifetime did not write the last line
        }
    }

    /// <summary>The problems of every option registered with ValidateOnStart (the host's start-up validator), or null.</summary>
    private static List<string>? Validate(IHost host)
    {
        try
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
            return null;
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0
            && ex.InnerExceptions.All(e => e is OptionsValidationException || e is InvalidOperationException i && IsBindingFailure(i)))
        {
            return [.. ConfigurationProblems.List(ex)];
        }
        catch (InvalidOperationException ex) when (IsBindingFailure(ex))
        {
            return [.. ConfigurationProblems.List(ex)];
        }
    }

    // The log's last line, as Steward's lifetime writes it at ApplicationStopped, with the real exit code.
    private static void LogStopped(IHost host, int code)
    {
        if (host.Services.GetService<ILoggerFactory>()?.CreateLogger("Steward.Hosting.Lifetime") is { } logger)
        {
            LifetimeLog.Stopped(logger, code);
        }
    }

    /// <summary>
    /// Disposes the host (and so every singleton) within a bound: the shutdown timeout after a clean stop, a second
    /// after one that already overran it (exit code 3). What does not finish by then is abandoned, and said on stderr.
    /// </summary>
    private static async Task DisposeAsync(IHost host, RunStateController? controller)
    {
        var bound = controller?.ExitCode == StewardExitCodes.ShutdownTimeout
            ? TimeSpan.FromSeconds(1)
            : SettingsOf(host)?.ShutdownTimeout ?? s_defaultTimeout;
        var disposal = host is IAsyncDisposable asyncDisposable
            ? asyncDisposable.DisposeAsync().AsTask()
            : Task.Run(host.Dispose, CancellationToken.None);
        try
        {
            await disposal.WaitAsync(bound).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync($"Steward: disposing the host's services did not finish within {bound}; abandoning them.")
                .ConfigureAwait(false);
            controller?.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"disposing the host's services did not finish within {bound}");
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"Steward: disposing the host's services failed: {ex}").ConfigureAwait(false);
            controller?.RecordExitCode(StewardExitCodes.Failure, $"disposing the host's services failed: {ex.Message}");
        }
    }

    // Null when the options themselves are what is wrong (the start failed with exit code 2).
    private static StewardOptions? SettingsOf(IHost host)
    {
        try
        {
            return host.Services.GetService<StewardSettings>()?.Current;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
        {
            return null;
        }
    }

    private static int Finish(int code)
    {
        Environment.ExitCode = code;
        return code;
    }

    // The configuration binder reports a value it cannot convert, or an unknown key, as an InvalidOperationException
    // naming the key (and the value).
    private static bool IsBindingFailure(InvalidOperationException ex) =>
        ex.InnerException is FormatException
        || ex.Message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal)
        || ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal);
}
