using Steward;

namespace WorkerDemo;

/// <summary>
/// A background loop driven by its own <see cref="RunState"/>: the host's stopping token cancels the RunState, and
/// each iteration starts at a checkpoint. The database is opened for the loop's lifetime (a nested open: the host
/// holds the first one). (Issue 7's <c>AddRunState()</c> replaces this hand wiring with supervised workers.)
/// </summary>
internal abstract partial class RunStateLoop(string name, ReadingsDatabase database, ILogger logger) : BackgroundService
{
    private long _iterations;

    public RunState RunState { get; } = new(name);

    protected ReadingsDatabase Database => database;

    protected ILogger Logger => logger;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunState.RunAsync(async runState =>
            {
                // Registered after Start, so a stop that already happened cancels at once rather than being cleared.
                await using var stop = stoppingToken.Register(runState.Cancel);
                await using var lease = await database.OpenAsync(stoppingToken);
                LogStarted(runState.Name);
                while (true)
                {
                    await runState.ThrowIfCancelledAsync(stoppingToken);
                    await IterateAsync(runState, stoppingToken);
                    _iterations++;
                }
            });
        }
        catch (OperationCanceledException) when (RunState.IsCancelled)
        {
            // The normal way out: the host is stopping.
        }
        finally
        {
            LogStopped(RunState.Name, _iterations, RunState.RunTime, RunState.Status);
        }
    }

    /// <summary>One iteration of the loop; it should end with <see cref="RunState.SleepAsync"/>.</summary>
    protected abstract Task IterateAsync(RunState runState, CancellationToken stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} started")]
    private partial void LogStarted(string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} stopped after {Iterations} iterations in {RunTime} ({Status})")]
    private partial void LogStopped(string worker, long iterations, TimeSpan runTime, RunStateStatus status);
}
