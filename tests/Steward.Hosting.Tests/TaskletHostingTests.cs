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

    [Fact]
    public async Task A_tasklet_the_stop_cannot_reach_is_abandoned_at_the_budget_and_disposing_the_host_does_not_wait_for_it()
    {
        var never = new TaskCompletionSource();
        var host = TestHost.Build(b => b.AddTasklets(loop => loop.Spawn(_ => never.Task, "deaf")),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.200" });
        try
        {
            await host.StartAsync();
            await host.StopAsync();
            var exitCode = host.Steward.ExitCode;
            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // would wait for the deaf tasklet

            Assert.Equal(StewardExitCodes.ShutdownTimeout, exitCode);
            Assert.Contains("Tasklet loop host did not stop within the shutdown timeout", host.Logs.Text, StringComparison.Ordinal);
        }
        finally
        {
            never.SetResult();
        }
    }
}
