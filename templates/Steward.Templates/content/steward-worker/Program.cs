using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using Serilog;
using Steward.Hosting;
using StewardWorker;

// StewardWorker: a long-running service on Steward. Ctrl+C or SIGTERM stops it gracefully; SIGUSR1 pauses the
// workers and SIGUSR2 resumes them; SIGHUP reloads appsettings.json. Exit codes: 0 clean stop, 1 a worker gave up,
// 2 invalid configuration, 3 the stop overran Steward:ShutdownTimeout.
Log.Logger = new LoggerConfiguration() // until the host's logger exists
    .WriteTo.Console(formatProvider: CultureInfo.InvariantCulture)
    .CreateBootstrapLogger();
try
{
    var builder = StewardHost.CreateApplicationBuilder(args); // a malformed appsettings.json: one line, exit code 2

    builder.Services.AddSerilog((services, logger) => logger
        .ReadFrom.Configuration(builder.Configuration)      // the "Serilog" section
        .ReadFrom.Services(services)
        .Enrich.FromLogContext());                          // WorkerName and WorkerInstance on a worker's events

    builder.Services.AddOptions<WorkerSettings>()
        .BindConfiguration(WorkerSettings.Section)
        .ValidateKnownKeys(WorkerSettings.Section)          // a misspelt key: its full path and "did you mean"
        .Validate(s => s.Interval > TimeSpan.Zero, $"{WorkerSettings.Section}:Interval must be a positive duration.")
        .ValidateOnStart()                                  // a bad value: exit code 2 before anything starts
        .KeepLastGood();                                    // a bad reload: logged once, the last good settings kept

    builder.Services.AddRunState()                          // Steward's settings: the "Steward" section
        .AddWorker<Worker>()                                // supervised: restarted with back-off when it fails
        .UseSystemd()                                       // Type=notify, watchdog and status under systemd; else nothing
        .UseWindowsService()                                // the service control manager's lifetime on Windows; else nothing
        .UseOpenTelemetry(otel =>
        {
            // Steward's traces and metrics over OTLP, when a collector is named (OTEL_EXPORTER_OTLP_ENDPOINT).
            if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                otel.UseOtlpExporter();
            }
        });
    builder.Services.AddHealthChecks().AddRunStateHealthCheck(); // Unhealthy when a worker gave up or stalled

    return await builder.Build().RunStewardAsync();
}
catch (Exception ex)
{
    Log.Fatal(ex, "StewardWorker failed to start");
    return StewardExitCodes.Failure;
}
finally
{
    await Log.CloseAndFlushAsync();
}
