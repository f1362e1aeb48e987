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
    public async Task A_stop_requested_while_starting_is_a_clean_stop()
    {
        var resource = new ShutdownTests.GatedResource();
        await using var host = TestHost.Build(b => b.AddMultiOpen<ShutdownTests.GatedResource>(),
            services: s => s.AddSingleton(resource));

        var running = host.Host.RunStewardAsync();
        await resource.Opening.Task.WaitAsync(TimeSpan.FromSeconds(30));
        host.Lifetime.StopApplication();
        resource.Release.SetResult();

        Assert.Equal(StewardExitCodes.Success, await running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(resource.IsOpen);
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
}
