using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Steward.Hosting.Tests;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests.Configuration;

/// <summary>Every bad setting stops the start with a message naming the key and the value; nothing starts.</summary>
public class ConfigurationTests
{
    public static TheoryData<string, string, string> BadValues => new()
    {
        { "Steward:Workers:Flaky:Instances", "0", "Steward:Workers:Flaky:Instances must be at least 1 (got 0)" },
        { "Steward:ShutdownTimeout", "-00:00:01", "Steward:ShutdownTimeout must be a positive duration (got '-00:00:01')" },
        { "Steward:Workers:Flaky:Restart:Window", "00:00:00", "Steward:Workers:Flaky:Restart:Window must be a positive duration (got '00:00:00')" },
        { "Steward:Workers:Flaky:Restart:MaxRestarts", "-1", "Steward:Workers:Flaky:Restart:MaxRestarts must not be negative (got -1)" },
        { "Steward:Workers:Flaky:Restart:InitialBackoff", "-00:00:02", "Steward:Workers:Flaky:Restart:InitialBackoff must not be negative (got '-00:00:02')" },
        { "Steward:Workers:Flaky:Restart:Jitter", "1.5", "Steward:Workers:Flaky:Restart:Jitter must be between 0 and 1 (got 1.5)" },
        { "Steward:Workers:Flaky:StallTimeout", "-00:00:05", "Steward:Workers:Flaky:StallTimeout must be a positive duration (got '-00:00:05')" },
        { "Steward:Signals:Pause", "SIGTERM", "Steward:Signals:Pause: 'SIGTERM' is not usable: SIGTERM cannot be used" },
        { "Steward:Signals:Reload", "SIGBOGUS", "Steward:Signals:Reload: 'SIGBOGUS' is not usable: not a signal name" },
        { "Steward:Signals:Resume", "SIGUSR1", "Steward:Signals:Resume: 'SIGUSR1' is already used by Steward:Signals:Pause" },
        { "Steward:Signals:Pause", "15", "Steward:Signals:Pause: '15' is not usable: signal 15 cannot be used" },
        { "Steward:Signals:Pause", "9", "Steward:Signals:Pause: '9' is not usable: signal 9 cannot be used" },
        { "Steward:Signals:Pause", "1", "Steward:Signals:Reload: 'SIGHUP' is already used by Steward:Signals:Pause" },
        { "Steward:Signals:Pause", "11", "Steward:Signals:Pause: '11' is not usable: signal 11 cannot be used: it reports a fault" },
        { "Steward:Signals:Resume", "28", "Steward:Signals:Resume: '28' is not usable: signal 28 cannot be used: SIGWINCH is used by the console" },
        { "Steward:Signals:Pause", "34", "Steward:Signals:Pause: '34' is not usable: " },
        { "Steward:Signals:Resume", "65", "Steward:Signals:Resume: '65' is not usable: a signal number must be between 1 and" },
        { "Steward:Workers:Flaky:Restart:MaxBackoff", "-00:00:01", "Steward:Workers:Flaky:Restart:MaxBackoff must not be negative (got '-00:00:01')" },
        { "Steward:Workers:Flaky:Restart:MaxBackoff", "00:00:00.500", "Steward:Workers:Flaky:Restart:MaxBackoff ('00:00:00.5000000') must not be shorter than InitialBackoff" },
        { "Steward:Workers:Flakey:Instances", "2", "Steward:Workers:Flakey configures a worker that is not registered with AddWorker (registered: Flaky)" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_value_fails_the_start_naming_the_key_and_the_value(string key, string value, string expected)
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), new Dictionary<string, string?> { [key] = value },
            services: s => s.AddSingleton(probe));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
        Assert.Equal(0, probe.Attempts); // nothing started
    }

    [Theory]
    [InlineData("Steward:Workers:Flaky:Restart:Policy", "Sometimes", "'Sometimes'")]
    [InlineData("Steward:ShutdownTimeout", "soon", "'soon'")]
    public async Task A_value_that_cannot_be_bound_fails_the_start_naming_the_key_and_the_value(string key, string value, string named)
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), new Dictionary<string, string?> { [key] = value },
            services: s => s.AddSingleton(probe));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, probe.Attempts);
    }

    [Theory]
    [InlineData("Steward:Workers:Flaky:Restart:MaxRestart", "3", "Steward:Workers:Flaky:Restart:MaxRestart is not a known setting; did you mean MaxRestarts?")]
    [InlineData("Steward:Workers:Flaky:Instnces", "2", "Steward:Workers:Flaky:Instnces is not a known setting; did you mean Instances?")]
    [InlineData("Steward:ShutdownTimout", "00:00:05", "Steward:ShutdownTimout is not a known setting; did you mean ShutdownTimeout?")]
    [InlineData("Steward:Signals:Frobnicate", "1", "Steward:Signals:Frobnicate is not a known setting (known here: Pause, Reload, Resume).")]
    [InlineData("steward:workers:flaky:restart:maxrestart", "3", "Steward:workers:flaky:restart:maxrestart is not a known setting; did you mean MaxRestarts?")]
    public async Task An_unknown_key_fails_the_start_with_its_full_path_and_the_nearest_valid_key(string key, string value, string expected)
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"), new Dictionary<string, string?> { [key] = value },
            services: s => s.AddSingleton(probe));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);

        Assert.Equal(expected, Assert.Single(error.Failures));
        Assert.Equal(0, probe.Attempts);
    }

    [Fact]
    public void Registering_the_same_worker_name_twice_is_refused_at_once()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            TestHost.Build(b => b.AddWorker<FlakyWorker>("Same").AddWorker<CountingWorker>("same")));

        Assert.Contains("A worker named 'same' is already registered", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(FlakyWorker), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(CountingWorker), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_defaults_are_valid_and_the_Steward_section_is_read()
    {
        var probe = new Probe();
        await using var host = TestHost.Build(b => b.AddWorker<FlakyWorker>("Flaky"),
            new Dictionary<string, string?>
            {
                ["Steward:ShutdownTimeout"] = "00:00:07",
                ["Steward:Workers:Flaky:Instances"] = "2",
                ["Steward:Workers:Flaky:Restart:Policy"] = "Always",
            },
            services: s => s.AddSingleton(probe));
        await host.StartAsync();

        var options = host.Services.GetRequiredService<IOptions<StewardOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(7), options.ShutdownTimeout);
        Assert.Equal(RestartPolicy.Always, options.For("flaky").Restart.Policy); // keys are case-insensitive
        Assert.Equal(1, options.For("Unconfigured").Instances);
        await SupervisionTests.WaitForAsync(() => probe.Attempts == 2);
        await host.StopAsync();
    }
}
