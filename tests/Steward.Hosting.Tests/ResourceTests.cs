using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Steward.Coordination;
using Steward.Hosting.Tests.Support;
using Steward.Testing;

namespace Steward.Hosting.Tests;

public class ResourceTests
{
    [Fact]
    public async Task A_MultiOpen_starts_once_at_host_start_and_shuts_down_once_at_host_stop_with_50_overlapping_scopes()
    {
        await using var host = TestHost.Build(b => b.AddMultiOpen<CountedResource>());
        var resource = host.Services.GetRequiredService<CountedResource>();
        Assert.Equal(0, resource.Startups);

        await host.StartAsync();
        Assert.Equal((1, 0, 1), (resource.Startups, resource.Shutdowns, resource.OpenCount)); // the host's own open

        using var go = new Barrier(50);
        var scopes = Enumerable.Range(0, 50).Select(_ => Task.Factory.StartNew(() =>
        {
            go.SignalAndWait();
            using var scope = host.Services.CreateScope();
            var opened = scope.ServiceProvider.GetRequiredService<Opened<CountedResource>>();
            Assert.Same(opened, scope.ServiceProvider.GetRequiredService<Opened<CountedResource>>()); // one per scope
            opened.Value.Use();
            go.SignalAndWait(); // all 50 overlap here
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(scopes).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((1, 0, 1), (resource.Startups, resource.Shutdowns, resource.OpenCount));
        Assert.Equal(50, resource.Uses);
        await host.StopAsync();
        Assert.Equal((1, 1, 0), (resource.Startups, resource.Shutdowns, resource.OpenCount));
        Assert.DoesNotContain("leaked", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_leaked_scope_is_reported_at_stop_with_the_file_and_line_of_its_open_and_the_resource_still_closes_once()
    {
        await using var host = TestHost.Build(b => b.AddMultiOpen<CountedResource>(),
            new Dictionary<string, string?> { ["Steward:ShutdownTimeout"] = "00:00:00.200" });
        var resource = host.Services.GetRequiredService<CountedResource>();
        await host.StartAsync();

        var line = LeakAScope(host.Services);
        await host.StopAsync();

        Assert.Contains("still had 1 open lease(s) at host stop", host.Logs.Text, StringComparison.Ordinal);
        Assert.Contains($"{nameof(ResourceTests)}.cs:{line} {nameof(LeakAScope)}", host.Logs.Text, StringComparison.Ordinal);
        Assert.Equal((1, 1), (resource.Startups, resource.Shutdowns));
    }

    [Fact]
    public async Task The_stop_waits_for_a_scope_that_lets_go_within_the_budget_and_then_closes_once_without_a_leak_report()
    {
        var clock = new TestClock();
        await using var host = TestHost.Build(b => b.AddMultiOpen<CountedResource>(), clock: clock);
        var resource = host.Services.GetRequiredService<CountedResource>();
        await host.StartAsync();
        var scope = host.Services.CreateScope();
        _ = scope.ServiceProvider.GetRequiredService<Opened<CountedResource>>();

        var stopping = host.StopAsync();
        await clock.NextDelayAsync(); // the stop is waiting for the scope's lease
        Assert.Equal((0, 2), (resource.Shutdowns, resource.OpenCount));
        Assert.False(stopping.IsCompleted);
        scope.Dispose();
        clock.Advance(TimeSpan.FromMilliseconds(10));
        await stopping;

        Assert.Equal((1, 1, 0), (resource.Startups, resource.Shutdowns, resource.OpenCount));
        Assert.DoesNotContain("open lease(s) at host stop", host.Logs.Text, StringComparison.Ordinal);
        Assert.Contains("Closed resource counted", host.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_that_cannot_start_fails_the_host_start_before_anything_runs()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<CountingWorker>("Counting").AddMultiOpen<BrokenResource>(),
            services: s => s.AddSingleton(probe));

        var error = await Assert.ThrowsAsync<IOException>(host.StartAsync);

        Assert.Equal("database file is locked", error.Message);
        Assert.Equal(0, probe.Attempts);
    }

    [Fact]
    public async Task A_resource_whose_shutdown_fails_is_reported_with_exit_code_1_and_the_stop_completes()
    {
        await using var host = TestHost.Build(b => b.AddMultiOpen<FailingShutdownResource>());
        await host.StartAsync();

        await host.StopAsync();

        Assert.Equal(StewardExitCodes.Failure, host.Steward.ExitCode);
        Assert.Contains("Shutting down resource spool failed", host.Logs.Text, StringComparison.Ordinal);
        Assert.Contains("the spool could not be flushed", host.Logs.Text, StringComparison.Ordinal);
        Assert.False(host.Services.GetRequiredService<FailingShutdownResource>().IsOpen);
    }

    [Theory]
    [InlineData("Demo.Sensors.Poll", "Poll")]
    [InlineData("Demo.Sensors.<PollAsync>d__3.MoveNext", "PollAsync")]
    [InlineData("Demo.Sensors.<>c__DisplayClass2_0.<PollAsync>b__0", "PollAsync")]
    [InlineData("Demo.Sensors.<PollAsync>g__Read|3_0", "PollAsync")]
    public void An_open_site_names_the_users_method_not_the_compilers(string frame, string member) =>
        Assert.Equal(member, OpenSiteCapture.MemberName(frame));

    [Fact]
    public async Task AddPool_registers_a_singleton_pool_built_from_the_services()
    {
        await using var host = TestHost.Build(b => b.AddPool(sp => new PooledThing(sp.GetRequiredService<TimeProvider>()), maxSize: 2));
        var pool = host.Services.GetRequiredService<Pool<PooledThing>>();
        Assert.Same(pool, host.Services.GetRequiredService<Pool<PooledThing>>());
        Assert.Equal(2, pool.MaxSize);
        using (var lease = pool.Rent())
        {
            Assert.Same(TimeProvider.System, lease.Value.Clock);
        }

        Assert.Equal(1, pool.Available);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LeakAScope(IServiceProvider services)
    {
        var scope = services.CreateScope(); // never disposed: a leak
        (_, var line) = (scope.ServiceProvider.GetRequiredService<Opened<CountedResource>>(), Line());
        return line;
    }

    private static int Line([CallerLineNumber] int line = 0) => line;

    internal sealed class CountedResource() : MultiOpen("counted")
    {
        private int _uses;

        public int Startups { get; private set; }

        public int Shutdowns { get; private set; }

        public int Uses => Volatile.Read(ref _uses);

        public void Use()
        {
            ThrowIfClosed();
            Interlocked.Increment(ref _uses);
        }

        protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
        {
            Startups++;
            shutdown.Defer(() => Shutdowns++);
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class BrokenResource() : MultiOpen("broken")
    {
        protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken) =>
            throw new IOException("database file is locked");
    }

    internal sealed class FailingShutdownResource() : MultiOpen("spool")
    {
        protected override ValueTask StartupAsync(AsyncExitStack shutdown, CancellationToken cancellationToken)
        {
            shutdown.Defer(() => throw new IOException("the spool could not be flushed"));
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class PooledThing(TimeProvider clock)
    {
        public TimeProvider Clock { get; } = clock;
    }
}
