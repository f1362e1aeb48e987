using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Steward.Hosting.Tests;

/// <summary><c>UseSystemd()</c> and <c>UseWindowsService()</c> outside their service managers: no-ops.</summary>
public class ServiceManagerTests
{
    [Fact]
    public void UseSystemd_without_NOTIFY_SOCKET_and_UseWindowsService_off_Windows_change_nothing()
    {
        Assert.Null(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")); // as the test runner is started
        var plain = new ServiceCollection();
        plain.AddRunState();
        var managed = new ServiceCollection();
        managed.AddRunState().UseSystemd().UseWindowsService();

        Assert.Equal(
            plain.Select(d => (d.ServiceType, d.ImplementationType)),
            managed.Select(d => (d.ServiceType, d.ImplementationType)));
        Assert.Equal(typeof(StewardLifetime), managed.Last(d => d.ServiceType == typeof(IHostLifetime)).ImplementationType);
        Assert.DoesNotContain(managed, d => d.ServiceType == typeof(SystemdHostedService));
    }

    [Fact]
    public void The_systemd_status_line_counts_workers_by_health_and_names_the_troubled_ones_with_their_error()
    {
        WorkerStatus W(string name, int index, WorkerHealth health, Exception? error = null) =>
            new(name, index, RunStateStatus.Running, health, 0, error, null);

        var line = SystemdStatus.Describe(
        [
            W("SensorMonitor", 0, WorkerHealth.Running), W("SensorMonitor", 1, WorkerHealth.Running),
            W("SensorMonitor", 2, WorkerHealth.Restarting, new IOException("disk")), W("Reporter", 0, WorkerHealth.Running),
        ]);

        Assert.Equal("3 running, 1 restarting (SensorMonitor#2: IOException)", line);
        Assert.Equal("stopping: no workers", SystemdStatus.Describe([], "stopping"));
        Assert.Equal("1 gave up (Flaky#0: InvalidOperationException)",
            SystemdStatus.Describe([W("Flaky", 0, WorkerHealth.GaveUp, new InvalidOperationException())]));
    }

    [Fact]
    public void The_systemd_status_line_says_leader_or_standby_and_how_many_partitions_are_held_here()
    {
        WorkerStatus W(string name, int index, WorkerHealth health, ClusterMode mode, bool holder) =>
            new(name, index, RunStateStatus.Running, health, 0, null, null)
            {
                Cluster = new WorkerClusterStatus(mode, index, holder, holder ? 7 : 3, holder ? "here/1/abcd" : "there/2/ef01"),
            };

        var leader = SystemdStatus.Describe(
        [
            W("Poller", 0, WorkerHealth.Running, ClusterMode.Singleton, holder: true),
            W("Orders", 0, WorkerHealth.Running, ClusterMode.Partitioned, holder: true),
            W("Orders", 1, WorkerHealth.Standby, ClusterMode.Partitioned, holder: false),
            W("Orders", 2, WorkerHealth.Running, ClusterMode.Partitioned, holder: true),
            new("Reporter", 0, RunStateStatus.Running, WorkerHealth.Running, 0, null, null),
        ]);
        Assert.Equal("4 running, 1 standby; Poller leader, Orders 2/3 partitions", leader);

        Assert.Equal("1 standby; Poller standby",
            SystemdStatus.Describe([W("Poller", 0, WorkerHealth.Standby, ClusterMode.Singleton, holder: false)]));
    }
}
