using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Steward.Hosting.Tests.Support;
using Steward.Testing;

namespace Steward.Hosting.Tests;

public class HealthTests
{
    [Fact]
    public async Task The_health_check_reports_restarting_and_paused_as_Degraded_and_given_up_as_Unhealthy()
    {
        var clock = new TestClock();
        var probe = new Probe();
        var failing = new Probe { FailTimes = -1 };
        await using var host = TestHost.Build(
            b => b.AddWorker<CountingWorker>("Counting").AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?>
            {
                ["Steward:Workers:Counting:StallTimeout"] = "00:00:05",
                ["Steward:Workers:Flaky:Restart:MaxRestarts"] = "1",
                ["Steward:Workers:Flaky:Restart:Jitter"] = "0",
            },
            clock,
            s =>
            {
                s.AddSingleton(probe);
                s.AddSingleton(new FlakyProbe(failing));
                s.AddHealthChecks().AddRunStateHealthCheck();

                // Flaky gets a probe of its own (registered workers are resolved from the scope first).
                s.AddScoped<FlakyWorker>(sp => new FlakyWorker(sp.GetRequiredService<FlakyProbe>().Probe, sp));
            });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var backoff = await clock.NextDelayAsync(); // Flaky has failed and asked for its back-off

        // Flaky failed once and waits out its back-off: Degraded.
        var restarting = await ReportAsync(health);
        Assert.Equal(HealthStatus.Degraded, restarting.Status);
        Assert.Equal("Restarting", restarting.Entries["steward"].Data["Flaky#0"]);
        Assert.Equal("Running", restarting.Entries["steward"].Data["Counting#0"]);

        // Paused: Degraded.
        host.Controller.Pause("Counting");
        var paused = await ReportAsync(health);
        Assert.Equal(HealthStatus.Degraded, paused.Status);
        Assert.Equal("Paused", paused.Entries["steward"].Data["Counting#0"]);
        host.Controller.Resume("Counting");
        Assert.Equal("Running", (await ReportAsync(health)).Entries["steward"].Data["Counting#0"]);

        // Flaky's restart fails again: past MaxRestarts it gives up: Unhealthy (and the host stops).
        clock.Advance(backoff);
        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30));
        var gaveUp = await ReportAsync(health);
        Assert.Equal(HealthStatus.Unhealthy, gaveUp.Status);
        Assert.Equal("GaveUp", gaveUp.Entries["steward"].Data["Flaky#0"]);
        Assert.Contains("Flaky#0 GaveUp", gaveUp.Entries["steward"].Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_worker_without_checkpoints_beyond_its_StallTimeout_is_Stalled_and_Unhealthy()
    {
        var clock = new TestClock();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<StubbornWorker>("Silent"),
            new Dictionary<string, string?> { ["Steward:Workers:Silent:StallTimeout"] = "00:00:05", ["Steward:ShutdownTimeout"] = "00:00:00.100" },
            clock, s =>
            {
                s.AddSingleton(probe);
                s.AddHealthChecks().AddRunStateHealthCheck();
            });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, (await ReportAsync(health)).Status);
        clock.Advance(TimeSpan.FromSeconds(6));

        var report = await ReportAsync(health);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("Stalled", report.Entries["steward"].Data["Silent#0"]);
        Assert.Contains("Worker Silent#0 is stalled", host.Logs.Text, StringComparison.Ordinal); // the sampler logged it
        Assert.Equal(WorkerHealth.Stalled, host.Controller.Workers.Single().Health);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_resumed_worker_gets_its_whole_StallTimeout_again_before_it_counts_as_stalled()
    {
        var clock = new TestClock();
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<StubbornWorker>("Silent"),
            new Dictionary<string, string?> { ["Steward:Workers:Silent:StallTimeout"] = "00:00:05", ["Steward:ShutdownTimeout"] = "00:00:00.100" },
            clock, s => s.AddSingleton(probe));
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        host.Controller.Pause("Silent");
        clock.Advance(TimeSpan.FromMinutes(10)); // paused is not stalled, however long
        Assert.Equal(WorkerHealth.Paused, host.Controller.Workers.Single().Health);
        host.Controller.Resume("Silent");
        Assert.Equal(WorkerHealth.Running, host.Controller.Workers.Single().Health);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(WorkerHealth.Running, host.Controller.Workers.Single().Health);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(WorkerHealth.Stalled, host.Controller.Workers.Single().Health);
        await host.StopAsync();
    }

    [Fact]
    public async Task All_running_is_Healthy()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting"),
            services: s =>
            {
                s.AddSingleton(probe);
                s.AddHealthChecks().AddRunStateHealthCheck();
            });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();
        await probe.Running.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var report = await ReportAsync(health);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("1 worker instance(s) running", report.Entries["steward"].Description);
        Assert.Equal("Running", report.Entries["steward"].Data["Counting#0"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_faulted_worker_is_Unhealthy()
    {
        var probe = new Probe();
        var failing = new Probe { FailTimes = -1 };
        await using var host = TestHost.Build(
            b => b.AddWorker<CountingWorker>("Counting").AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?> { ["Steward:Workers:Flaky:Restart:Policy"] = "Never" },
            services: s =>
            {
                s.AddSingleton(probe);
                s.AddSingleton(new FlakyProbe(failing));
                s.AddScoped<FlakyWorker>(sp => new FlakyWorker(sp.GetRequiredService<FlakyProbe>().Probe, sp));
                s.AddHealthChecks().AddRunStateHealthCheck();
            });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await host.StartAsync();
        await host.Stopping.WaitAsync(TimeSpan.FromSeconds(30)); // Never: the failure stops the host

        var report = await ReportAsync(health);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("Faulted", report.Entries["steward"].Data["Flaky#0"]);
        Assert.Contains("Flaky#0 Faulted", report.Entries["steward"].Description, StringComparison.Ordinal);
        Assert.DoesNotContain("Counting", report.Entries["steward"].Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    private static Task<HealthReport> ReportAsync(HealthCheckService health) => health.CheckHealthAsync();

    private sealed record FlakyProbe(Probe Probe);
}
