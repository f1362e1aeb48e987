using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting.Tests.Support;
using Steward.Testing;

namespace Steward.Hosting.Tests;

public class ControllerTests
{
    [Fact]
    public async Task PauseAll_holds_every_worker_at_its_checkpoint_and_ResumeAll_lets_them_go()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting"),
            new Dictionary<string, string?> { ["Steward:Workers:Counting:Instances"] = "3" }, services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await SupervisionTests.WaitForAsync(() => probe.RunStates.Count == 3);

        host.Controller.PauseAll();

        Assert.All(host.Controller.Workers, w => Assert.Equal((RunStateStatus.Paused, WorkerHealth.Paused), (w.State, w.Health)));
        await Task.Delay(50); // an iteration already past its checkpoint may finish...
        var before = probe.Iterations;
        await Task.Delay(100); // ...but then none may get past the next one
        Assert.Equal(before, probe.Iterations);

        host.Controller.ResumeAll();

        Assert.All(host.Controller.Workers, w => Assert.Equal(RunStateStatus.Running, w.State));
        await SupervisionTests.WaitForAsync(() => probe.Iterations > before + 10);
        await host.StopAsync();
    }

    [Fact]
    public async Task Pause_by_name_touches_only_that_worker_and_an_unknown_name_is_refused()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("A").AddWorker<CountingWorker>("B"),
            services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await SupervisionTests.WaitForAsync(() => probe.RunStates.Count == 2);

        host.Controller.Pause("a");

        Assert.Equal(RunStateStatus.Paused, host.Controller.Workers.Single(w => w.Name == "A").State);
        Assert.Equal(RunStateStatus.Running, host.Controller.Workers.Single(w => w.Name == "B").State);
        var error = Assert.Throws<ArgumentException>(() => host.Controller.Pause("C"));
        Assert.Contains("No worker is named 'C' (workers: A, B)", error.Message, StringComparison.Ordinal);

        host.Controller.Resume("A");
        Assert.Equal(RunStateStatus.Running, host.Controller.Workers.Single(w => w.Name == "A").State);
        await host.StopAsync(); // a paused worker still stops: cancellation releases the checkpoint
    }

    [Fact]
    public async Task A_paused_worker_stops_when_the_host_stops()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting"), services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Controller.PauseAll();

        await host.StopAsync();

        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
        Assert.Equal(RunStateStatus.Stopped, Assert.Single(host.Controller.Workers).State);
    }

    [Fact]
    public async Task A_pause_survives_a_restart()
    {
        var clock = new TestClock();
        var probe = new Probe { FailTimes = 1 };
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?> { ["Steward:Workers:Flaky:Restart:Jitter"] = "0" }, clock, s => s.AddSingleton(probe));
        await host.StartAsync();
        var delay = await clock.NextDelayAsync(); // failed once; restarting

        host.Controller.PauseAll();
        clock.Advance(delay);

        await SupervisionTests.WaitForAsync(() => probe.Attempts == 2 && host.Controller.Workers.Single().State == RunStateStatus.Paused);
        var restarted = probe.RunStates.Last();
        await Task.Delay(50);
        Assert.True(restarted.IsPaused);
        Assert.True(restarted.Checkpoints <= 1, "the restarted run got past its first checkpoint while paused");
        await host.StopAsync();
    }

    [Fact]
    public async Task Racing_pause_and_resume_requests_leave_the_run_as_the_final_request_says()
    {
        const int Rounds = 20_000;
        var runState = new RunState("raced");
        runState.Start();
        var instance = new WorkerInstance("Raced", 0, runState, stallTimeout: null, TimeProvider.System);
        using var go = new Barrier(2);
        var wrong = 0;
        var pausing = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                go.SignalAndWait();
                instance.Pause();
                go.SignalAndWait(); // both requests done; the other thread checks before the next round
            }
        }, TaskCreationOptions.LongRunning);
        var resuming = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Rounds; i++)
            {
                go.SignalAndWait();
                instance.Resume();
                go.SignalAndWait();
                if (runState.Status != (instance.PauseRequested ? RunStateStatus.Paused : RunStateStatus.Running))
                {
                    wrong++;
                }
            }
        }, TaskCreationOptions.LongRunning);
        await Task.WhenAll(pausing, resuming).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, wrong);
        runState.Cancel();
    }
}
