using Microsoft.Extensions.DependencyInjection;
using Steward.Hosting.Tests.Support;
using Steward.Nurseries;

namespace Steward.Hosting.Tests;

public class NurseryTests
{
    [Fact]
    public async Task A_failing_child_of_the_host_nursery_stops_the_host_with_exit_code_1()
    {
        await using var host = TestHost.Build(b => b.AddTaskNursery());
        await host.StartAsync();
        var nursery = host.Services.GetRequiredService<TaskNursery>();
        var sibling = nursery.Start(async ct => await Task.Delay(Timeout.Infinite, ct));

        _ = nursery.Start(_ => throw new InvalidOperationException("poller crashed"), "poller");

        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        Assert.Contains("a child of the host nursery 'host' failed: poller crashed", host.Logs.Text, StringComparison.Ordinal);
        await host.StopAsync();
        Assert.True(sibling.IsCanceled);
        Assert.True(nursery.IsClosed);
    }

    [Fact]
    public async Task The_host_nursery_is_cancelled_at_stopping_and_awaited_by_the_stop()
    {
        await using var host = TestHost.Build(b => b.AddTaskNursery());
        await host.StartAsync();
        var nursery = host.Services.GetRequiredService<TaskNursery>();
        var cleanedUp = false;
        var child = nursery.Start(async ct =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                await Task.Delay(20, CancellationToken.None);
                cleanedUp = true;
            }
        });

        await host.StopAsync();

        Assert.True(child.IsCanceled);
        Assert.True(cleanedUp); // the stop waited for the child's clean-up
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
    }
}
