namespace Steward.Hosting.Tests.Support;

/// <summary>Fails its first <see cref="Probe.FailTimes"/> runs, then loops on checkpoints until cancelled.</summary>
internal sealed class FlakyWorker(Probe probe, IServiceProvider scope) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        var attempt = probe.NextAttempt();
        probe.RunStates.Enqueue(runState);
        probe.Scopes.Enqueue(scope);
        if (probe.FailTimes < 0 || attempt <= probe.FailTimes)
        {
            if (attempt > 1 && probe.FailGate is { } gate)
            {
                await gate.WaitAsync();
            }

            throw new InvalidOperationException($"attempt {attempt} failed");
        }

        probe.Running.TrySetResult();
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            await Task.Delay(5, runState.Token);
        }
    }
}

/// <summary>Returns at once (for the Always policy).</summary>
internal sealed class ReturningWorker(Probe probe) : IRunStateWorker
{
    public Task ExecuteAsync(RunState runState)
    {
        probe.NextAttempt();
        return Task.CompletedTask;
    }
}

/// <summary>Ignores cancellation: it never reaches a checkpoint again once started.</summary>
internal sealed class StubbornWorker(Probe probe) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        probe.NextAttempt();
        probe.Running.TrySetResult();
        await Task.Delay(Timeout.Infinite, CancellationToken.None);
    }
}

/// <summary>Counts its iterations; each starts at a checkpoint.</summary>
internal sealed class CountingWorker(Probe probe) : IRunStateWorker
{
    public async Task ExecuteAsync(RunState runState)
    {
        probe.NextAttempt();
        probe.RunStates.Enqueue(runState);
        probe.Running.TrySetResult();
        while (true)
        {
            await runState.ThrowIfCancelledAsync();
            probe.Iterated();
            await Task.Yield();
        }
    }
}
