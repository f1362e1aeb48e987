using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests;

/// <summary>RunStewardAsync in process (it sets Environment.ExitCode: each test puts it back).</summary>
public sealed class RunStewardTests : IDisposable
{
    private readonly int _exitCode = Environment.ExitCode;

    public void Dispose() => Environment.ExitCode = _exitCode;

    [Fact]
    public async Task A_failed_start_stops_what_had_started_and_exits_1()
    {
        var poller = new StartedPoller();
        await using var host = TestHost.Build(b => b.AddMultiOpen<ResourceTests.CountedResource>(),
            services: s => s.AddSingleton(poller).AddHostedService(sp => sp.GetRequiredService<StartedPoller>()).AddHostedService<FailingStart>());
        var resource = host.Services.GetRequiredService<ResourceTests.CountedResource>();

        var code = await host.Host.RunStewardAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(StewardExitCodes.Failure, code);
        Assert.True(poller.Started);
        Assert.True(poller.Stopped); // its StopAsync ran: what started was stopped, not just disposed
        Assert.Equal((1, 1), (resource.Startups, resource.Shutdowns));
    }

    [Fact]
    public async Task Several_options_types_failing_at_once_still_exit_2()
    {
        // Under another lifetime (this one, or UseSystemd) the host's startup validator reports both failures together.
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Clash"),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "-00:00:01" },
            services: s => s.AddSingleton(new Probe()).AddHostedService<ClashingService>());

        var code = await host.Host.RunStewardAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(StewardExitCodes.InvalidConfiguration, code);
    }

    [Fact]
    public async Task A_stop_requested_while_a_service_is_still_starting_is_a_clean_stop()
    {
        var slow = new SlowStart();
        await using var host = TestHost.Build(b => b.AddMultiOpen<ResourceTests.CountedResource>(),
            services: s => s.AddSingleton(slow).AddHostedService(sp => sp.GetRequiredService<SlowStart>()));
        var resource = host.Services.GetRequiredService<ResourceTests.CountedResource>();

        var running = host.Host.RunStewardAsync();
        await slow.Starting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Lifetime.StopApplication(); // SIGTERM while a service waits on something slow with the start's token

        Assert.Equal(StewardExitCodes.Success, await running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(slow.Cancelled);
        Assert.Equal((1, 1), (resource.Startups, resource.Shutdowns));
    }

    [Theory]
    [InlineData(false)] // IHost.StopAsync, as a caller embedding the host would
    [InlineData(true)]  // StopApplication, as a signal does
    public async Task A_stop_while_a_resource_is_still_opening_is_a_clean_stop_with_tasklets_registered(bool viaLifetime)
    {
        // The loop stops while the resource still opens; the tasklets must then not be spawned on it (ClosedException).
        for (var round = 0; round < 20; round++)
        {
            var spawned = 0;
            await using var host = TestHost.Build(
                b => b.AddMultiOpen<GatedResource>().AddTasklets(loop => loop.Spawn(async t =>
                {
                    Interlocked.Increment(ref spawned);
                    await t.WaitAsync(Steward.Tasklets.WaitFor.Timeout(TimeSpan.FromHours(1)));
                })));
            var resource = host.Services.GetRequiredService<GatedResource>();
            var controller = host.Steward; // resolved now: RunStewardAsync disposes the host

            var running = host.Host.RunStewardAsync();
            await resource.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var stopping = viaLifetime ? Task.Run(host.Lifetime.StopApplication) : host.Host.StopAsync();
            resource.Gate.SetResult(); // the open completes after the stop began (the startup ignores the token)

            Assert.Equal(StewardExitCodes.Success, await running.WaitAsync(TimeSpan.FromSeconds(60)));
            await stopping.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, controller.ExitCode);
            Assert.Equal(resource.Startups, resource.Shutdowns);
            Assert.DoesNotContain("ClosedException", host.Logs.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("is stopping or stopped", host.Logs.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_cancellation_nobody_asked_for_during_start_is_a_failed_start()
    {
        await using var host = TestHost.Build(_ => { }, services: s => s.AddHostedService<TimingOutStart>());

        Assert.Equal(StewardExitCodes.Failure, await host.Host.RunStewardAsync().WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private sealed class SlowStart : IHostedService
    {
        public TaskCompletionSource Starting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Cancelled { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            Starting.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    internal sealed class GatedResource() : MultiOpen("gated")
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Startups { get; private set; }

        public int Shutdowns { get; private set; }

        protected override async ValueTask StartupAsync(Steward.Coordination.AsyncExitStack shutdown, CancellationToken cancellationToken)
        {
            Startups++;
            Entered.TrySetResult();
            await Gate.Task; // slow, and deaf to the start's token (a driver that connects regardless)
            shutdown.Defer(() =>
            {
                Shutdowns++;
                return ValueTask.CompletedTask;
            });
        }
    }

    private sealed class TimingOutStart : IHostedService
    {
        // What an HttpClient call that times out throws: a cancellation, though no stop was requested.
        public Task StartAsync(CancellationToken cancellationToken) =>
            Task.FromException(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing."));

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class StartedPoller : IHostedService
    {
        public bool Started { get; private set; }

        public bool Stopped { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Stopped = true;
            return Task.CompletedTask;
        }
    }

    private sealed class FailingStart : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("no licence key");

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ClashingService : RunStateBackgroundService
    {
        public override string WorkerName => "Clash";

        protected override Task ExecuteAsync(RunState runState) => Task.CompletedTask;
    }
}
