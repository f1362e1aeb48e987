using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Steward.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a Steward host and turns its outcome into a process exit code.</summary>
public static class StewardHostExtensions
{
    /// <summary>
    /// Starts the host, waits until it stops, disposes it, and returns the exit code (<see cref="StewardExitCodes"/>):
    /// 0 clean, 1 a worker gave up or the host nursery failed or start-up failed, 2 invalid configuration (each problem
    /// is written to stderr naming the key and the value; nothing was started), 3 shutdown timeout. Use it as
    /// <c>return await host.RunStewardAsync();</c>. (A second stop signal exits the process directly with 128+n.)
    /// </summary>
    /// <param name="host">The built host.</param>
    /// <param name="cancellationToken">Stops the host when cancelled.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunStewardAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var controller = host.Services.GetService<RunStateController>();
        try
        {
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OptionsValidationException ex)
            {
                foreach (var failure in ex.Failures)
                {
                    await Console.Error.WriteLineAsync($"Invalid configuration: {failure}").ConfigureAwait(false);
                }

                return Finish(StewardExitCodes.InvalidConfiguration);
            }
            catch (InvalidOperationException ex) when (IsBindingFailure(ex))
            {
                await Console.Error.WriteLineAsync($"Invalid configuration: {ex.Message}").ConfigureAwait(false);
                return Finish(StewardExitCodes.InvalidConfiguration);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"Start-up failed: {ex}").ConfigureAwait(false);
                return Finish(StewardExitCodes.Failure);
            }

            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                host.Dispose();
            }
        }

        return Finish(controller?.ExitCode ?? Environment.ExitCode);
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
