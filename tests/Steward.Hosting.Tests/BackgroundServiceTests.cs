using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests;

public class BackgroundServiceTests
{
    [Fact]
    public async Task A_RunStateBackgroundService_is_known_to_the_controller_paused_with_the_others_and_cancelled_by_the_host()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(_ => { }, services: s =>
        {
            s.AddSingleton(probe);
            s.AddHostedService<LegacyService>();
        });
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var status = Assert.Single(host.Controller.Workers);
        Assert.Equal(("Legacy", RunStateStatus.Running, WorkerHealth.Running), (status.Name, status.State, status.Health));
        var runState = probe.RunStates.Single();
        Assert.Equal("Legacy", runState.Name);
        Assert.True(host.Controller.Host.IsRunning);

        host.Controller.PauseAll();
        Assert.True(runState.IsPaused);
        host.Controller.ResumeAll();
        Assert.False(runState.IsPaused);

        await host.StopAsync();
        Assert.True(runState.IsCancelled); // the host RunState's cancellation reached it
        Assert.Equal(WorkerHealth.Stopped, host.Controller.Workers.Single().Health);
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
    }

    [Fact]
    public async Task Without_AddRunState_it_still_runs_on_its_own_RunState_and_stops_with_the_host()
    {
        var probe = new Probe();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(probe);
        builder.Services.AddHostedService<LegacyService>();
        using var host = builder.Build();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await host.StopAsync();

        Assert.True(probe.RunStates.Single().IsCancelled);
        Assert.Equal(RunStateStatus.Stopped, probe.RunStates.Single().Status);
    }

    [Fact]
    public async Task A_failing_RunStateBackgroundService_stops_the_host_with_exit_code_1()
    {
        await using var host = TestHost.Build(_ => { }, services: s => s.AddHostedService<FailingService>());
        await host.StartAsync();
        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync().ContinueWith(_ => { }, TaskScheduler.Default); // the host may rethrow the failure

        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        var status = Assert.Single(host.Controller.Workers);
        Assert.Equal(WorkerHealth.Faulted, status.Health);
        Assert.Equal("the feed went away", status.LastError?.Message);
        Assert.Contains("background service Failing failed: the feed went away", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_background_service_named_like_an_AddWorker_worker_fails_the_start_before_anything_starts()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Legacy"), services: s =>
        {
            s.AddSingleton(probe);
            s.AddHostedService<LegacyService>();
        });

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(host.StartAsync);

        var failure = Assert.Single(error.Failures);
        Assert.Contains($"{typeof(LegacyService).FullName} is named 'Legacy', like a worker added with AddWorker", failure, StringComparison.Ordinal);
        Assert.Equal(0, probe.Attempts);
        Assert.False(probe.Running.Task.IsCompleted);
        Assert.Empty(host.Controller.Workers);
    }

    [Fact]
    public async Task Two_background_services_with_one_name_fail_the_start()
    {
        await using var host = TestHost.Build(_ => { }, services: s =>
        {
            s.AddHostedService<FailingService>();
            s.AddHostedService<OtherFailingService>();
        });

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(host.StartAsync);

        Assert.Contains($"Two background services are named 'failing' (the second is {typeof(OtherFailingService).FullName})",
            Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.Empty(host.Controller.Workers);
    }

    private sealed class OtherFailingService : RunStateBackgroundService
    {
        public override string WorkerName => "failing"; // names compare case-insensitively, as configuration keys do

        protected override Task ExecuteAsync(RunState runState) => throw new InvalidOperationException("must not run");
    }

    private sealed class FailingService : RunStateBackgroundService
    {
        public override string WorkerName => "Failing";

        protected override async Task ExecuteAsync(RunState runState)
        {
            await Task.Yield();
            throw new InvalidOperationException("the feed went away");
        }
    }

    private sealed class LegacyService(Probe probe) : RunStateBackgroundService
    {
        public override string WorkerName => "Legacy";

        protected override async Task ExecuteAsync(RunState runState)
        {
            probe.RunStates.Enqueue(runState);
            probe.Running.TrySetResult();
            while (true)
            {
                await runState.ThrowIfCancelledAsync();
                await Task.Delay(5, runState.Token);
            }
        }
    }
}
