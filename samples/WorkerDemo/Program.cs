using Microsoft.Extensions.Options;
using Serilog;
using Steward.Hosting;
using WorkerDemo;

// The Steward worker demo: two supervised workers share one SQLite database (a MultiOpen) that opens once at start and
// closes once at stop. Ctrl+C or SIGTERM stops it gracefully (twice: at once), SIGUSR1/SIGUSR2 pause/resume the workers,
// SIGHUP reloads appsettings.json. Logs go through Serilog (the "Serilog" section); traces and metrics go over OTLP when
// an endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or the "OpenTelemetry" section).
// Exit codes: 0 clean, 1 a worker gave up, 2 bad configuration, 3 shutdown timeout.
Log.Logger = DemoLogging.CreateBootstrapLogger(); // start-up failures are logged before the host exists
var log = Log.ForContext("SourceContext", "WorkerDemo");
try
{
    var builder = Host.CreateApplicationBuilder(args);
    if (DemoLogging.Problem(builder.Configuration) is { } problem)
    {
        log.Fatal("Invalid configuration: {Problem}", problem);
        return StewardExitCodes.InvalidConfiguration;
    }

    builder.Services.AddSerilog((services, logger) => DemoLogging.Configure(logger, builder.Configuration, services));

    builder.Services.AddOptions<DemoOptions>()
        .Bind(builder.Configuration.GetSection(DemoOptions.Section))
        .PostConfigure(o =>
        {
            if (o.Sensors.Count == 0)
            {
                o.Sensors.AddRange(DemoOptions.DefaultSensors);
            }
        })
        .ValidateOnStart();
    builder.Services.AddSingleton<IValidateOptions<DemoOptions>, DemoOptionsValidator>();
    builder.Services.AddOptions<TelemetryOptions>()
        .BindConfiguration(TelemetryOptions.Section, binder => binder.ErrorOnUnknownConfiguration = true)
        .ValidateOnStart();
    builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

    builder.Services.AddRunState()                  // settings: the "Steward" section of appsettings.json
        .AddMultiOpen<ReadingsDatabase>()           // opened with the host; Opened<ReadingsDatabase> per worker scope
        .AddWorker<SensorMonitor>()                 // supervised: restarted with back-off if it fails
        .AddWorker<ReadingsReporter>()
        .UseSystemd()                               // sd_notify, watchdog and journal output under systemd; else nothing
        .UseWindowsService()                        // the SCM's lifetime under Windows services; else nothing
        .UseOpenTelemetry(otel => DemoTelemetry.Configure(otel, builder.Configuration));
    builder.Services.AddHealthChecks().AddRunStateHealthCheck();
    builder.Services.AddHostedService<RunForService>();

    var exitCode = await builder.Build().RunStewardAsync();
    log.Information("Exiting with code {ExitCode}", exitCode);
    return exitCode;
}
catch (Exception ex)
{
    log.Fatal(ex, "The demo failed to start");
    return StewardExitCodes.Failure;
}
finally
{
    await Log.CloseAndFlushAsync();
}
