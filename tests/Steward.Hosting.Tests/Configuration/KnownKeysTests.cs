using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Steward.Hosting.Tests.Configuration;

/// <summary>Keys that bind to nothing, found at any depth with their full path and the nearest valid name.</summary>
public class KnownKeysTests
{
    [Fact]
    public void Keys_are_checked_through_nested_objects_dictionaries_and_lists_with_their_full_paths()
    {
        var problems = Check(new Dictionary<string, string?>
        {
            ["App:Name"] = "ok",
            ["App:Nmae"] = "typo",
            ["App:Endpoints:primary:Url"] = "http://a",
            ["App:Endpoints:primary:Timeot"] = "00:00:01",
            ["App:Sensors:0:Interval"] = "00:00:01",
            ["App:Sensors:1:Intervall"] = "00:00:01",
            ["App:Tags:0"] = "any value: list items are data",
            ["App:Limits:Max"] = "3",
            ["App:Limits:Maxx"] = "3",
            ["App:renamed-key"] = "bound through ConfigurationKeyName",
        });

        Assert.Equal(
        [
            "App:Endpoints:primary:Timeot is not a known setting; did you mean Timeout?",
            "App:Limits:Maxx is not a known setting; did you mean Max?",
            "App:Nmae is not a known setting; did you mean Name?",
            "App:Sensors:1:Intervall is not a known setting; did you mean Interval?",
        ], problems.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_key_far_from_every_name_lists_the_names_known_there()
    {
        var problems = Check(new Dictionary<string, string?> { ["App:Limits:Frobnicate"] = "1" });

        Assert.Equal("App:Limits:Frobnicate is not a known setting (known here: Max, Min).", Assert.Single(problems));
    }

    [Theory]
    [InlineData("MaxRestart", "MaxRestarts")]   // a letter missing
    [InlineData("maxrestarts", "MaxRestarts")]  // case only: the binder would bind it, but Nearest is also asked about it
    [InlineData("MaxRetsarts", "MaxRestarts")]  // two letters swapped
    [InlineData("Policyy", "Policy")]
    [InlineData("Pol", null)]                   // too short to guess from
    [InlineData("Jitterbug", null)]             // three edits from Jitter in nine letters: no
    public void The_nearest_name_is_offered_only_when_it_is_close(string key, string? expected) =>
        Assert.Equal(expected, KnownKeys.Nearest(key, ["Policy", "MaxRestarts", "Window", "InitialBackoff", "MaxBackoff", "Jitter"]));

    [Fact]
    public async Task ValidateKnownKeys_fails_an_applications_own_options_at_start_naming_the_key()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["App:Sensors:0:Intervall"] = "00:00:01" });
        builder.Services.AddOptions<AppOptions>().BindConfiguration("App").ValidateKnownKeys("App").ValidateOnStart();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("App:Sensors:0:Intervall is not a known setting; did you mean Interval?", Assert.Single(error.Failures));
    }

    private static List<string> Check(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return KnownKeys.Check(configuration.GetSection("App"), typeof(AppOptions));
    }

    internal sealed class AppOptions
    {
        public string Name { get; set; } = "";

        public Dictionary<string, EndpointOptions> Endpoints { get; set; } = [];

        public List<SensorOptions> Sensors { get; set; } = [];

        public string[] Tags { get; set; } = [];

        public LimitOptions Limits { get; } = new(); // get-only: bound into the existing instance

        [ConfigurationKeyName("renamed-key")]
        public string? Renamed { get; set; }
    }

    internal sealed class EndpointOptions
    {
        public Uri? Url { get; set; }

        public TimeSpan Timeout { get; set; }
    }

    internal sealed class SensorOptions
    {
        public TimeSpan Interval { get; set; }
    }

    internal sealed class LimitOptions
    {
        public int Min { get; set; }

        public int? Max { get; set; }
    }
}
