using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Steward.Coordination;
using Steward.Hosting.Tests.Support;
using Steward.Testing;

namespace Steward.Hosting.Tests;

public class ShutdownTests
{
    [Fact]
    public async Task The_host_RunState_starts_at_ApplicationStarted_and_is_cancelled_at_ApplicationStopping()
    {
        await using var host = TestHost.Build(_ => { });
        var host_ = host.Controller.Host;
        var seen = new List<string>();
        host.Lifetime.ApplicationStarted.Register(() => seen.Add($"started:{host_.Status}"));
        host.Lifetime.ApplicationStopping.Register(() => seen.Add($"stopping:{host_.IsCancelled}"));
        Assert.Equal(RunStateStatus.Idle, host_.Status);

        await host.StartAsync();
        Assert.Equal(RunStateStatus.Running, host_.Status);
        await host.StopAsync();

        Assert.Equal(["started:Running", "stopping:True"], seen); // cancelled by the time the stopping callbacks ran
        Assert.Equal(RunStateStatus.Stopped, host_.Status);
    }

    [Fact]
    public async Task A_worker_ignoring_cancellation_past_ShutdownTimeout_is_named_in_the_log_and_the_exit_code_is_3()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<StubbornWorker>("Stubborn"),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.300" }, services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        await host.StopAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the stop took {clock.Elapsed}"); // it did not wait for the worker
        Assert.Equal(StewardExitCodes.ShutdownTimeout, host.Steward.ExitCode);
        Assert.Contains("Worker Stubborn#0 did not stop within the shutdown timeout of 00:00:00.3000000: state Stopping", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shutdown_timeout_report_gives_a_stuck_worker_its_last_checkpoint()
    {
        var clock = new TestClock();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CheckpointThenHangWorker>("Stuck"),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.300" }, clock, s => s.AddSingleton(probe));
        var start = clock.GetUtcNow();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30)); // it passed one checkpoint, then hangs

        // The once-a-second sampler sees the checkpoint at +1 s, nothing since. One second at a time: FakeTimeProvider fires
        // every timer due within an Advance at its end, so one five-second step would sample at +5 s.
        for (var second = 0; second < 5; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(start + TimeSpan.FromSeconds(1), Assert.Single(host.Controller.Workers).LastCheckpoint);
        await host.StopAsync();

        Assert.Equal(StewardExitCodes.ShutdownTimeout, host.Steward.ExitCode);
        var report = host.Logs.Lines.Single(l => l.Contains("Worker Stuck#0 did not stop", StringComparison.Ordinal));
        Assert.Contains($"state Stopping, last checkpoint {start + TimeSpan.FromSeconds(1)} (00:00:04 ago); abandoning it", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clean_stop_leaves_exit_code_0()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting"), services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
        Assert.Equal(WorkerHealth.Stopped, Assert.Single(host.Controller.Workers).Health);
    }

    [Fact]
    public async Task A_stop_requested_while_a_resource_is_still_opening_starts_no_worker_and_exits_0()
    {
        var probe = new Probe();
        var resource = new GatedResource();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting").AddMultiOpen<GatedResource>(),
            services: s => s.AddSingleton(probe).AddSingleton(resource));

        var starting = host.StartAsync();
        await resource.Opening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Lifetime.StopApplication(); // e.g. SIGTERM while the database is still opening
        resource.Release.SetResult();
        await starting;
        await host.StopAsync();

        Assert.Equal(0, probe.Attempts);
        Assert.Empty(host.Controller.Workers);
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
        Assert.True(host.Controller.Host.IsCancelled);
        Assert.Contains("no worker was started", host.Logs.Text, StringComparison.Ordinal);
        Assert.Equal(0, resource.OpenCount);
    }

    [Fact]
    public async Task A_worker_whose_creation_hangs_past_ShutdownTimeout_is_reported_and_the_exit_code_is_3()
    {
        var gate = new HangingConstruction();
        await using var host = TestHost.Build(b => b.AddWorker<HangingWorker>("Hanging"),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.300" }, services: s => s.AddSingleton(gate));
        try
        {
            await host.StartAsync();
            await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

            await host.StopAsync();

            Assert.Equal(StewardExitCodes.ShutdownTimeout, host.Steward.ExitCode);
            Assert.Contains("Worker Hanging#0 did not finish within the shutdown timeout of 00:00:00.3000000: state Idle", host.Logs.Text, StringComparison.Ordinal);
        }
        finally
        {
            gate.Release.Set();
        }
    }

    internal sealed class HangingConstruction
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Release { get; } = new();
    }

    internal sealed class HangingWorker : IRunStateWorker
    {
        public HangingWorker(HangingConstruction gate)
        {
            gate.Entered.TrySetResult();
            gate.Release.Wait(); // a constructor that connects synchronously to something that never answers
        }

        public Task ExecuteAsync(RunState runState) => Task.CompletedTask;
    }

    internal sealed class GatedResource() : MultiOpen("gated")
    {
        public TaskCompletionSource Opening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
        {
            Opening.SetResult();
            await Release.Task;
        }
    }

    private sealed class CheckpointThenHangWorker(Probe probe) : IRunStateWorker
    {
        public async Task ExecuteAsync(RunState runState)
        {
            await runState.ThrowIfCancelledAsync(); // its one checkpoint
            probe.Running.TrySetResult();
            await Task.Delay(Timeout.Infinite, CancellationToken.None); // then ignores the stop
        }
    }
}
