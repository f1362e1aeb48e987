using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Steward.Coordination;
using Steward.Hosting;
using Steward.Nurseries;

namespace Steward.TestHost;

internal static class Out
{
    /// <summary>A protocol line the tests wait for.</summary>
    public static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }
}

/// <summary>Loops on checkpoints; reports its state changes and how far it got while paused.</summary>
internal sealed class TickWorker : IRunStateWorker
{
    private long _iterations;

    public async Task ExecuteAsync(RunState runState)
    {
        long atPause = 0;
        runState.StateChanged += t =>
        {
            if (t.To == RunStateStatus.Paused)
            {
                atPause = Interlocked.Read(ref _iterations);
            }

            Out.Say($"state {t.Name} {t.From}->{t.To}");
            if (t.From == RunStateStatus.Paused && t.To == RunStateStatus.Running)
            {
                Out.Say($"resumed {t.Name} passed-while-paused={Interlocked.Read(ref _iterations) - atPause}");
            }
        };
        Out.Say($"running {runState.Name}");
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            Interlocked.Increment(ref _iterations);
            await runState.SleepAsync(TimeSpan.FromMilliseconds(10));
        }
    }
}

/// <summary>Fails its first TestHost:FailTimes runs (-1: all), then runs.</summary>
internal sealed class FlakyWorker(IConfiguration configuration) : IRunStateWorker
{
    private static int s_attempts;

    public async Task ExecuteAsync(RunState runState)
    {
        var attempt = Interlocked.Increment(ref s_attempts);
        var failTimes = configuration.GetValue("TestHost:FailTimes", 0);
        if (failTimes < 0 || attempt <= failTimes)
        {
            Out.Say($"attempt {attempt} failing");
            throw new InvalidOperationException($"attempt {attempt} failed");
        }

        Out.Say($"running after {attempt - 1} failures");
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            await runState.SleepAsync(TimeSpan.FromMilliseconds(10));
        }
    }
}

/// <summary>Never looks at its RunState again: only the shutdown timeout or a second signal ends it.</summary>
internal sealed class StubbornWorker : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        Out.Say("stubborn started");
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
    }
}

internal sealed class ReloadOptions
{
    public string Message { get; set; } = "";
}

/// <summary>Prints Reload:Message now and whenever the configuration is reloaded.</summary>
internal sealed class ReloadWatcher(IOptionsMonitor<ReloadOptions> options) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        using var subscription = options.OnChange(o => Out.Say($"message={o.Message}"));
        Out.Say($"message={options.CurrentValue.Message}");
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            await runState.SleepAsync(TimeSpan.FromMilliseconds(20));
        }
    }
}

/// <summary>Starts a child in the host nursery that fails shortly after.</summary>
internal sealed class NurseryFeeder(TaskNursery nursery) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        _ = nursery.Start(async ct =>
        {
            await Task.Delay(50, ct);
            Out.Say("child failing");
            throw new InvalidOperationException("the poller lost its connection");
        }, "poller");
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            await runState.SleepAsync(TimeSpan.FromMilliseconds(10));
        }
    }
}

internal sealed class LeakyResource() : MultiOpen("leaky")
{
    protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
    {
        Out.Say("resource up");
        shutdown.Defer(() => Out.Say("resource down"));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Opens the resource in a scope it never disposes, then idles.</summary>
internal sealed class Leaker(IServiceScopeFactory scopes) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        // Leaked on purpose. One line, so optimised builds (whose stack traces may name a neighbouring line) agree:
        var scope = scopes.CreateScope(); _ = scope.ServiceProvider.GetRequiredService<Opened<LeakyResource>>(); // Workers.cs:140
        Out.Say("leaked a scope");
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            await runState.SleepAsync(TimeSpan.FromMilliseconds(10));
        }
    }
}

/// <summary>Checkpoints for a while (TestHost:StallAfter), then stops checkpointing for good: a stall.</summary>
internal sealed class StallingWorker(IConfiguration configuration) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        var stallAfter = configuration.GetValue("TestHost:StallAfter", TimeSpan.FromMilliseconds(300));
        Out.Say($"running {runState.Name}");
        var started = DateTimeOffset.UtcNow;
        while (DateTimeOffset.UtcNow - started < stallAfter)
        {
            await runState.ThrowIfCancelledAsync();
            await runState.SleepAsync(TimeSpan.FromMilliseconds(10));
        }

        Out.Say("stalling");
        await Task.Delay(Timeout.Infinite, runState.Token); // no checkpoint any more, but it stops when asked
    }
}

/// <summary>Takes TestHost:DrainFor (2 s by default) to wind down once cancelled: a slow but legitimate drain.</summary>
internal sealed class SlowDrainWorker(IConfiguration configuration) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        var drainFor = configuration.GetValue("TestHost:DrainFor", TimeSpan.FromSeconds(2));
        Out.Say($"running {runState.Name}");
        try
        {
            await runState.SleepAsync(Timeout.InfiniteTimeSpan); // until the host stops
        }
        catch (OperationCanceledException)
        {
            // Woken by the stop, whether the sleep returns or throws then.
        }

        Out.Say("draining");
        await Task.Delay(drainFor, CancellationToken.None);
        Out.Say("drained");
    }
}
