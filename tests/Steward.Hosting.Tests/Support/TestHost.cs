using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting.Tests.Support;

/// <summary>
/// Builds in-process Steward hosts for tests: in-memory configuration, captured logs, an optional fake clock, and a
/// lifetime without signal handling or process exit (those are tested with real processes in Steward.EndToEnd.Tests).
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(IHost host, CapturingLoggerProvider logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => Host.Services;

    public IRunStateController Controller => Services.GetRequiredService<IRunStateController>();

    internal RunStateController Steward => Services.GetRequiredService<RunStateController>();

    public IHostApplicationLifetime Lifetime => Services.GetRequiredService<IHostApplicationLifetime>();

    public static TestHost Build(
        Action<IRunStateBuilder> configure,
        IDictionary<string, string?>? configuration = null,
        TimeProvider? clock = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = "Test",
        });
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        configure(builder.Services.AddRunState());
        services?.Invoke(builder.Services);
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        return new TestHost(builder.Build(), logs);
    }

    public Task StartAsync() => Host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public Task StopAsync() => Host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Completes when the host has been asked to stop (by itself or by the test).</summary>
    public Task Stopping => Task.Delay(Timeout.Infinite, Lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
