using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting.Tests.Support;
using Steward.Testing;

namespace Steward.Hosting.Tests;

public class SupervisionTests
{
    private static Dictionary<string, string?> Restart(string worker, string policy, int maxRestarts = 5, string window = "00:01:00") => new()
    {
        [$"Steward:Workers:{worker}:Restart:Policy"] = policy,
        [$"Steward:Workers:{worker}:Restart:MaxRestarts"] = maxRestarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"Steward:Workers:{worker}:Restart:Window"] = window,
        [$"Steward:Workers:{worker}:Restart:InitialBackoff"] = "00:00:01",
        [$"Steward:Workers:{worker}:Restart:MaxBackoff"] = "00:00:30",
        [$"Steward:Workers:{worker}:Restart:Jitter"] = "0",
    };

    [Fact]
    public async Task A_worker_that_throws_3_times_then_runs_is_restarted_3_times_with_growing_delays()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = 3 };
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), Restart("Flaky", "OnFailure"), clock,
            s => s.AddSingleton(probe));
        await host.StartAsync();

        var delays = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var delay = await clock.NextDelayAsync();
            delays.Add(delay);
            clock.Advance(delay);
        }

        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], delays); // InitialBackoff·2ⁿ
        var status = Assert.Single(host.Controller.Workers);
        Assert.Equal(("Flaky", 0, 3, WorkerHealth.Running), (status.Name, status.Instance, status.Restarts, status.Health));
        Assert.Equal("attempt 3 failed", status.LastError?.Message);
        Assert.Equal(4, probe.Attempts);

        await host.StopAsync();
        Assert.Equal(0, host.Steward.ExitCode);
        Assert.Contains("Worker Flaky#0 restarts in 00:00:04", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Past_MaxRestarts_the_worker_gives_up_and_the_host_stops_with_exit_code_1()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = -1 };
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), Restart("Flaky", "OnFailure", maxRestarts: 2), clock,
            s => s.AddSingleton(probe));
        await host.StartAsync();

        clock.Advance(await clock.NextDelayAsync());
        clock.Advance(await clock.NextDelayAsync());
        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        Assert.Equal(3, probe.Attempts); // the first run and 2 restarts
        Assert.Equal(WorkerHealth.GaveUp, Assert.Single(host.Controller.Workers).Health);
        Assert.Contains("Worker Flaky#0 gave up", host.Logs.Text, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task Never_does_not_restart_a_failed_worker_and_stops_the_host_with_exit_code_1()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = -1 };
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), Restart("Flaky", "Never"), clock,
            s => s.AddSingleton(probe));
        await host.StartAsync();

        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, probe.Attempts);
        Assert.False(clock.Delays.Reader.TryRead(out _)); // no back-off was even scheduled
        var status = Assert.Single(host.Controller.Workers);
        Assert.Equal((WorkerHealth.Faulted, 0), (status.Health, status.Restarts));
        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task Always_restarts_after_a_normal_return()
    {
        var clock = new TestClock();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<ReturningWorker>("Returning"), Restart("Returning", "Always"), clock,
            s => s.AddSingleton(probe));
        await host.StartAsync();

        clock.Advance(await clock.NextDelayAsync());
        clock.Advance(await clock.NextDelayAsync());
        await clock.NextDelayAsync(); // a third restart is being scheduled: the second restart ran and returned

        Assert.True(probe.Attempts >= 3);
        Assert.Equal(2, Assert.Single(host.Controller.Workers).Restarts);
        await host.StopAsync();
        Assert.Equal(0, host.Steward.ExitCode);
    }

    [Fact]
    public async Task OnFailure_does_not_restart_a_normal_return()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<ReturningWorker>("Returning"), Restart("Returning", "OnFailure"),
            services: s => s.AddSingleton(probe));
        await host.StartAsync();

        await WaitForAsync(() => host.Controller.Workers.Single().Health == WorkerHealth.Stopped);

        Assert.Equal(1, probe.Attempts);
        await host.StopAsync();
        Assert.Equal(0, host.Steward.ExitCode);
    }

    [Fact]
    public async Task The_restart_count_starts_again_once_the_window_has_elapsed()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = -1, FailGate = new SemaphoreSlim(0) };
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), Restart("Flaky", "OnFailure", maxRestarts: 1, window: "00:00:10"),
            clock, s => s.AddSingleton(probe));
        await host.StartAsync();

        var first = await clock.NextDelayAsync();
        clock.Advance(first);                    // the restart begins at t = 1 s and holds before failing...
        await SupervisionTests.WaitForAsync(() => probe.Attempts == 2);
        clock.Advance(TimeSpan.FromSeconds(29)); // ...until t = 30 s: a new window by then
        probe.FailGate!.Release();
        var second = await clock.NextDelayAsync();

        Assert.Equal(TimeSpan.FromSeconds(1), first);
        Assert.Equal(TimeSpan.FromSeconds(1), second); // the back-off exponent restarted with the window
        Assert.False(host.Lifetime.ApplicationStopping.IsCancellationRequested); // one restart per window: not given up

        clock.Advance(second); // a second failure within this window: now it gives up
        probe.FailGate!.Release();
        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task Each_restart_resolves_a_fresh_worker_in_a_fresh_scope_while_a_singleton_carries_state_across()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = 2 };
        var tally = new RunTally();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyCountingWorker>("Flaky"), Restart("Flaky", "OnFailure"), clock,
            s => s.AddSingleton(probe).AddSingleton(tally));
        await host.StartAsync();
        for (var restart = 0; restart < 2; restart++)
        {
            clock.Advance(await clock.NextDelayAsync());
        }

        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.Equal(3, tally.Workers.Count);
        Assert.Equal(3, tally.Workers.Distinct(ReferenceEqualityComparer.Instance).Count()); // a new object each run
        Assert.All(tally.FieldAtStart, runs => Assert.Equal(0, runs));                       // its fields start over
        Assert.Equal(3, probe.Scopes.Distinct().Count());                                     // in a new scope each run
        Assert.Equal(3, tally.Runs);                                                          // the singleton saw them all
    }

    [Fact]
    public async Task Each_instance_runs_in_its_own_scope_with_a_child_RunState_of_the_host()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?> { ["Steward:Workers:Flaky:Instances"] = "3" }, services: s => s.AddSingleton(probe));
        await host.StartAsync();

        await WaitForAsync(() => probe.RunStates.Count == 3);

        Assert.Equal(3, probe.Scopes.Distinct().Count());
        Assert.Equal(["Flaky#0", "Flaky#1", "Flaky#2"], probe.RunStates.Select(r => r.Name).Order());
        Assert.Equal(RunStateStatus.Running, host.Controller.Host.Status);
        Assert.Equal([0, 1, 2], host.Controller.Workers.Select(w => w.Instance).Order());

        var stopping = host.StopAsync();
        await stopping;
        Assert.True(host.Controller.Host.IsCancelled);
        Assert.All(probe.RunStates, r => Assert.True(r.IsCancelled)); // cancellation flowed from the host RunState
        Assert.All(host.Controller.Workers, w => Assert.Equal(WorkerHealth.Stopped, w.Health));
    }

    [Fact]
    public async Task A_disabled_worker_does_not_run()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?> { ["Steward:Workers:Flaky:Enabled"] = "false" }, services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await host.StopAsync();
        Assert.Equal(0, probe.Attempts);
        Assert.Empty(host.Controller.Workers);
        Assert.Contains("Worker Flaky is disabled", host.Logs.Text, StringComparison.Ordinal);
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for a state no event announces");
            await Task.Delay(5);
        }
    }
}

internal sealed class RunTally
{
    public int Runs;

    public System.Collections.Concurrent.ConcurrentQueue<object> Workers { get; } = new();

    public System.Collections.Concurrent.ConcurrentQueue<int> FieldAtStart { get; } = new();
}

/// <summary>A <see cref="FlakyWorker"/> that records which object ran and what its field held.</summary>
internal sealed class FlakyCountingWorker(RunTally tally, Probe probe, IServiceProvider scope) : IRunStateWorker
{
    private int _runs; // a worker's own state: gone with the object at each restart

    public Task ExecuteAsync(RunState runState)
    {
        tally.Workers.Enqueue(this);
        tally.FieldAtStart.Enqueue(_runs++);
        Interlocked.Increment(ref tally.Runs);
        return new FlakyWorker(probe, scope).ExecuteAsync(runState);
    }
}
