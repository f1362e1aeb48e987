using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting.Tests.Support;
using Steward.Tasklets;

namespace Steward.Hosting.Tests;

public class TaskletHostingTests
{
    [Fact]
    public async Task AddTasklets_spawns_on_the_host_loop_after_start_and_the_stop_stops_the_loop()
    {
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var spawnedWhenStarted = false;
        Tasklet? waiter = null;
        await using var host = TestHost.Build(b => b
            .AddTasklets((services, loop) =>
            {
                spawnedWhenStarted = services.GetRequiredService<IRunStateController>().Host.IsRunning;
                waiter = loop.Spawn(async self =>
                {
                    started.SetResult(Environment.CurrentManagedThreadId);
                    await self.WaitAsync(WaitFor.Messages(accept: ["never"]));
                }, "waiter");
            })
            .AddTasklets(loop => loop.Spawn(_ => Task.CompletedTask, "second")));
        var loop = host.Services.GetRequiredService<TaskletLoop>();

        await host.StartAsync();
        var threadId = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(spawnedWhenStarted);
        Assert.Equal(loop.ManagedThreadId, threadId);
        Assert.Equal("host", loop.Name);
        await host.StopAsync();
        Assert.True(loop.IsStopping);
        Assert.True(waiter!.Completion.IsCanceled); // its pending wait was cancelled by the stop
        Assert.Equal(0, loop.Count);
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
    }
}
