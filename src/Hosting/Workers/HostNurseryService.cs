using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.Nurseries;

namespace Steward.Hosting;

/// <summary>
/// Binds the host's <see cref="TaskNursery"/> (registered by <c>AddTaskNursery()</c>) to the host: a failed child stops the
/// host with exit code 1; ApplicationStopping cancels the nursery; the stop awaits it within the shutdown budget.
/// </summary>
internal sealed partial class HostNurseryService(
    TaskNursery nursery, RunStateController controller, ShutdownBudget budget, IHostApplicationLifetime lifetime, ILogger<TaskNursery> logger)
    : IHostedService, IDisposable
{
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        nursery.ChildFailed += OnChildFailed;
        _stopping = lifetime.ApplicationStopping.Register(static n => ((TaskNursery)n!).Cancel(), nursery);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // CloseAsync observes the failures (each was already handled by OnChildFailed), so the container's later
        // DisposeAsync of the nursery does not throw them again.
        var closing = CloseQuietlyAsync();
        if (!await budget.WaitAsync(closing, cancellationToken).ConfigureAwait(false))
        {
            LogDidNotClose(nursery.Name, budget.Timeout, nursery.Tasks.Count);
            controller.RecordExitCode(StewardExitCodes.ShutdownTimeout, $"the host nursery '{nursery.Name}' did not close within {budget.Timeout}");
            nursery.Abandon(); // or the container's disposal of the nursery would wait for the same children again
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task CloseQuietlyAsync()
    {
        try
        {
            await nursery.CloseAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // Reported as they happened (logged by the nursery, exit code 1 here).
        }
    }

    private void OnChildFailed(TaskNursery source, Task child, Exception error) =>
        controller.Exit(StewardExitCodes.Failure, $"a child of the host nursery '{source.Name}' failed: {error.Message}");

    [LoggerMessage(EventId = 2401, Level = LogLevel.Critical,
        Message = "The host nursery {Nursery} did not close within the shutdown timeout of {Timeout}; {Children} children abandoned")]
    private partial void LogDidNotClose(string nursery, TimeSpan timeout, int children);
}
