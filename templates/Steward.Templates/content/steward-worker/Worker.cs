using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Steward;
using Steward.Hosting;

namespace StewardWorker;

/// <summary>
/// The service's work: one round every <see cref="WorkerSettings.Interval"/>. Steward runs it, pauses and resumes it
/// (SIGUSR1/SIGUSR2), cancels it at the stop, and restarts it with back-off when it throws
/// (Steward:Workers:Worker:Restart in appsettings.json).
/// </summary>
/// <remarks>Each run, and so each restart, gets a new <see cref="Worker"/> from a new DI scope: keep what must outlive a
/// restart (a connection, a counter, a cache) in a singleton service, not in a field of this class.</remarks>
internal sealed partial class Worker(ILogger<Worker> logger, IOptionsMonitor<WorkerSettings> settings) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        LogStarted(runState.Name);
        long rounds = 0;
        while (true)
        {
            await runState.ThrowIfCancelledAsync(); // waits here while paused; throws when the host stops
            rounds++;
            LogRound(rounds);                       // ... the real work goes here ...
            await runState.SleepAsync(settings.CurrentValue.Interval); // wakes, and throws, at once when the host stops
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} started")]
    private partial void LogStarted(string worker);

    [LoggerMessage(Level = LogLevel.Information, Message = "Round {Round} done")]
    private partial void LogRound(long round);
}
