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
        Assert.Contains($"a child of the host nursery '{nursery.Name}' failed: poller crashed", host.Logs.Text, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_failure_unwinding_the_host_nursery_at_stop_is_logged_and_exits_1()
    {
        await using var host = TestHost.Build(b => b.AddTaskNursery());
        await host.StartAsync();
        var nursery = host.Services.GetRequiredService<TaskNursery>();
        nursery.Defer(() => throw new IOException("flushing the spool failed"));

        await host.StopAsync();

        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        Assert.Contains($"The host nursery {nursery.Name} closed with a failure", host.Logs.Text, StringComparison.Ordinal);
        Assert.Contains("flushing the spool failed", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_child_ignoring_cancellation_is_abandoned_at_the_budget_and_disposing_the_host_does_not_wait_for_it()
    {
        var host = TestHost.Build(b => b.AddTaskNursery(), new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.200" });
        await host.StartAsync();
        var nursery = host.Services.GetRequiredService<TaskNursery>();
        var never = new TaskCompletionSource();
        var stuck = nursery.Start(_ => never.Task, "stuck");

        try
        {
            await host.StopAsync();
            var exitCode = host.Steward.ExitCode;
            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // would hang on the stuck child

            Assert.Equal(StewardExitCodes.ShutdownTimeout, exitCode);
            Assert.Contains("did not close within the shutdown timeout", host.Logs.Text, StringComparison.Ordinal);
            Assert.False(stuck.IsCompleted);
        }
        finally
        {
            never.SetResult(); // the child ends; the nursery finishes closing and leaves the registry
        }
    }

    [Fact]
    public async Task Two_hosts_in_one_process_get_distinct_host_nurseries()
    {
        await using var first = TestHost.Build(b => b.AddTaskNursery("twin"));
        await using var second = TestHost.Build(b => b.AddTaskNursery("twin"));

        var one = first.Services.GetRequiredService<TaskNursery>();
        var two = second.Services.GetRequiredService<TaskNursery>();

        Assert.Equal("twin", one.Name);
        Assert.Equal("twin-2", two.Name);
    }

    [Fact]
    public async Task A_worker_winding_down_can_still_use_the_host_nursery()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddTaskNursery().AddWorker<HandOffWorker>("HandOff"),
            services: s => s.AddSingleton(probe));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        host.Lifetime.StopApplication(); // the real order: ApplicationStopping first, as a signal does
        await host.StopAsync();

        Assert.Equal(1, probe.Iterations); // the hand-off child ran to the end
        Assert.Null(host.Controller.Workers.Single().LastError);
        Assert.Equal(StewardExitCodes.Success, host.Steward.ExitCode);
    }

    internal sealed class HandOffWorker(TaskNursery nursery, Probe probe) : IRunStateWorker
    {
        public async Task ExecuteAsync(RunState runState)
        {
            probe.Running.TrySetResult();
            try
            {
                await runState.SleepAsync(TimeSpan.FromHours(1));
            }
            catch (OperationCanceledException) when (runState.IsCancelled)
            {
                // the host is stopping: wind down
            }

            await Task.Delay(100, CancellationToken.None); // finishing the batch in hand
            await nursery.Start(_ =>
            {
                probe.Iterated(); // hand the last batch to a background child
                return Task.CompletedTask;
            }, "hand-off");
        }
    }
}
