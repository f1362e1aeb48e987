using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Steward.Hosting.Tests.Support;

namespace Steward.Hosting.Tests.Configuration;

/// <summary>
/// KeepLastGood and StewardHost.CreateApplicationBuilder on real files: a bad reload (a bad value, or a file that does
/// not parse) keeps the last good options and is logged once, in one line; a malformed file at start is one line.
/// </summary>
public sealed class LastGoodOptionsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("steward-config-").FullName;

    private string SettingsFile => Path.Combine(_directory, "appsettings.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_bad_value_on_reload_keeps_the_last_good_options_and_is_logged_once_in_one_line()
    {
        Write("""{ "Demo": { "Interval": "00:00:01" } }""");
        using var host = Build();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<DemoOptions>>();
        var logs = host.Services.GetRequiredService<CapturingLoggerProvider>();
        var heard = new List<TimeSpan>();
        using var subscription = monitor.OnChange(o => heard.Add(o.Interval));
        Assert.IsType<LastGoodOptionsMonitor<DemoOptions>>(monitor);
        Assert.Equal(TimeSpan.FromSeconds(1), monitor.CurrentValue.Interval);

        Write("""{ "Demo": { "Interval": "-00:00:01" } }""");
        Reload(host);
        Reload(host); // the same problem again (a file watcher and a signal): not a second error

        Assert.Equal(TimeSpan.FromSeconds(1), monitor.CurrentValue.Interval);
        Assert.Empty(heard);
        var error = Assert.Single(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Equal("Error Steward.Hosting.Settings: The reloaded configuration is invalid; the previous Demo settings stay in force: "
            + "Demo:Interval must be positive (got -00:00:01)", error);
        // One reload notifies once per file provider and once for the whole configuration: the rest are at debug level.
        Assert.Contains(logs.Lines, l => l.StartsWith("Debug", StringComparison.Ordinal) && l.Contains("still invalid", StringComparison.Ordinal));

        Write("""{ "Demo": { "Interval": "00:00:02" } }""");
        Reload(host);

        Assert.Equal(TimeSpan.FromSeconds(2), monitor.CurrentValue.Interval);
        Assert.NotEmpty(heard); // once per notification of the reload, as the framework's monitor calls its listeners
        Assert.All(heard, interval => Assert.Equal(TimeSpan.FromSeconds(2), interval));

        Write("""{ "Demo": { "Interval": "-00:00:01" } }""");
        Reload(host); // after a good reload, the same problem is news again

        Assert.Equal(2, logs.Lines.Count(l => l.StartsWith("Error", StringComparison.Ordinal)));
        Assert.Equal(TimeSpan.FromSeconds(2), monitor.CurrentValue.Interval);
    }

    [Fact]
    public void A_value_that_does_not_convert_on_reload_names_the_key_and_keeps_the_last_good_options()
    {
        Write("""{ "Demo": { "Interval": "00:00:01" } }""");
        using var host = Build();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<DemoOptions>>();
        _ = monitor.CurrentValue;

        Write("""{ "Demo": { "Interval": "soon" } }""");
        Reload(host);

        Assert.Equal(TimeSpan.FromSeconds(1), monitor.CurrentValue.Interval);
        var error = Assert.Single(host.Services.GetRequiredService<CapturingLoggerProvider>().Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Contains("'soon'", error, StringComparison.Ordinal);
        Assert.Contains("Demo:Interval", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public async Task A_file_that_stops_parsing_keeps_the_last_good_options_with_one_error_naming_the_line()
    {
        Write("""{ "Demo": { "Interval": "00:00:01" } }""");
        using var host = Build(watchFiles: true);
        var demo = host.Services.GetRequiredService<IOptionsMonitor<DemoOptions>>();
        var steward = host.Services.GetRequiredService<IOptionsMonitor<StewardOptions>>();
        _ = demo.CurrentValue;
        _ = steward.CurrentValue;

        var logs = host.Services.GetRequiredService<CapturingLoggerProvider>();
        var rejected = logs.WaitForLineAsync(l => l.StartsWith("Error", StringComparison.Ordinal));

        // The real file watcher: its reload of a file that does not parse empties the file's provider.
        Write("{ \"Demo\": {\n  \"Interval\": \"00:00:03\"\n  \"Other\": 1 } }", atomically: true);
        await rejected;
        Reload(host); // and a reload signal after it: the same problem, not a second error

        Assert.Equal(TimeSpan.FromSeconds(1), demo.CurrentValue.Interval); // not the default that an empty file binds to
        Assert.Equal(TimeSpan.FromSeconds(15), steward.CurrentValue.ShutdownTimeout);
        var error = Assert.Single(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Equal($"Error Steward.Hosting.Settings: The reloaded configuration is invalid; the previous settings stay in force: {SettingsFile} "
            + "is not valid JSON at line 3, position 3: '\"' is invalid after a value. Expected either ',', '}', or ']'.", error);
    }

    [Fact]
    public async Task A_notification_after_the_file_was_fixed_but_before_it_was_reloaded_takes_nothing_from_the_emptied_provider()
    {
        // The file watcher's reload of a malformed file empties its provider. If the file is then fixed on disk, a change
        // notification from elsewhere, arriving before the watcher reloads the fixed file, must not take the options from
        // the emptied provider: it is judged by what the provider loaded, not by what the disk holds now.
        Write("""{ "Demo": { "Interval": "00:00:01" } }""");
        var trigger = new Trigger();
        using var host = Build(watchFiles: true, trigger);
        var demo = host.Services.GetRequiredService<IOptionsMonitor<DemoOptions>>();
        _ = demo.CurrentValue;
        var root = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        var json = root.Providers.OfType<FileConfigurationProvider>().Single(p => p.Source.Path == "appsettings.json");
        json.Source.ReloadDelay = 3_000; // the watcher's reload of the fixed file comes long after the notification below
        var logs = host.Services.GetRequiredService<CapturingLoggerProvider>();
        var rejected = logs.WaitForLineAsync(l => l.StartsWith("Error", StringComparison.Ordinal));
        json.Source.ReloadDelay = 0;
        Write("{ \"Demo\": \"Interval\" }x", atomically: true);
        await rejected;
        Assert.False(json.TryGet("Demo:Interval", out _)); // the watcher's reload emptied the provider
        json.Source.ReloadDelay = 3_000;

        Write("""{ "Demo": { "Interval": "00:00:04" } }""", atomically: true);
        trigger.Fire();

        Assert.Equal(TimeSpan.FromSeconds(1), demo.CurrentValue.Interval); // not the default the emptied provider binds to
        Reload(host);                                                       // as SIGHUP: the fixed file is loaded now
        Assert.Equal(TimeSpan.FromSeconds(4), demo.CurrentValue.Interval);

        // The watcher's reload of the fixed file is still sleeping out its delay. Disposing the host under it would have
        // the framework watch the disposed file provider afterwards (an unobserved ObjectDisposedException): stop the
        // watching, and let that reload end first (its end is the provider's next reload notification).
        var watcherReloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = json.GetReloadToken().RegisterChangeCallback(_ => watcherReloaded.TrySetResult(), null);
        json.Source.FileProvider = new UnwatchedFileProvider(json.Source.FileProvider!);
        await watcherReloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_file_that_does_not_parse_at_start_is_one_validation_failure_naming_the_file_line_and_position()
    {
        Write("{\n  \"Steward\": { \"ShutdownTimeout\": \"00:00:05\", }\n  \"Demo\" }");

        using var host = Build(); // StewardHost.CreateApplicationBuilder does not throw for it

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal($"{SettingsFile} is not valid JSON at line 3, position 3: '\"' is invalid after a value. Expected either ',', '}}', or ']'.".Replace("}}", "}", StringComparison.Ordinal),
            Assert.Single(error.Failures));
    }

    [Fact]
    public void Without_StewardHost_a_malformed_file_throws_from_the_builder_as_the_framework_does()
    {
        Write("{ \"Demo\": ");
        var error = Assert.Throws<InvalidDataException>(() => Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _directory }));
        Assert.Equal($"{SettingsFile} is not valid JSON at line 1, position 11: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.",
            ConfigurationProblems.Describe(error));
    }

    // Atomically as an editor saves (a new file renamed over the old), when a file watcher must never read half a file.
    private void Write(string json, bool atomically = false)
    {
        var path = atomically ? SettingsFile + ".next" : SettingsFile;
        File.WriteAllText(path, json);
        if (atomically)
        {
            File.Move(path, SettingsFile, overwrite: true);
        }
    }

    // As SIGHUP does.
    private static void Reload(IHost host) => ((IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>()).Reload();

    private IHost Build(bool watchFiles = false, Trigger? trigger = null)
    {
        var builder = StewardHost.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = _directory,
            EnvironmentName = "Test",
            Args = [$"--hostBuilder:reloadConfigOnChange={watchFiles}"], // else the tests reload by hand, deterministically
        });
        if (trigger is not null)
        {
            ((IConfigurationBuilder)builder.Configuration).Add(trigger);
        }

        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton(logs);
        builder.Services.AddRunState();
        builder.Services.AddOptions<DemoOptions>().BindConfiguration("Demo")
            .ValidateOnStart()
            .KeepLastGood();
        builder.Services.AddSingleton<IValidateOptions<DemoOptions>, DemoValidator>();
        return builder.Build();
    }

    /// <summary>A configuration source that raises a change notification on demand, without any file loading.</summary>
    /// <summary>Reads files as the provider it wraps does, and watches nothing.</summary>
    private sealed class UnwatchedFileProvider(IFileProvider inner) : IFileProvider
    {
        public IFileInfo GetFileInfo(string subpath) => inner.GetFileInfo(subpath);

        public IDirectoryContents GetDirectoryContents(string subpath) => inner.GetDirectoryContents(subpath);

        public IChangeToken Watch(string filter) => NullChangeToken.Singleton;
    }

    internal sealed class Trigger : IConfigurationSource
    {
        private Provider? _provider;

        public IConfigurationProvider Build(IConfigurationBuilder builder) => _provider = new Provider();

        public void Fire() => _provider!.Fire();

        private sealed class Provider : ConfigurationProvider
        {
            public void Fire() => OnReload();
        }
    }

    internal sealed class DemoOptions
    {
        public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);
    }

    private sealed class DemoValidator : IValidateOptions<DemoOptions>
    {
        public ValidateOptionsResult Validate(string? name, DemoOptions options) =>
            options.Interval > TimeSpan.Zero ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail($"Demo:Interval must be positive (got {options.Interval})");
    }
}
