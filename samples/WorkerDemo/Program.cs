using Microsoft.Extensions.Options;
using Serilog;
using Steward.Hosting;
using WorkerDemo;

// The Steward worker demo, a sensor-ingest service: SensorMonitor workers (one per sensor, each driving a device state
// machine) hand readings to the IngestManager's deferred-call queue; the IngestWriter worker runs that queue between
// batched writes to one SQLite file (a MultiOpen, opened once and closed once); the Reporter asks for snapshots; a pair
// of tasklets schedules maintenance jobs in the host's nursery. Ctrl+C or SIGTERM stops it gracefully, storing every
// accepted reading (twice: at once); SIGUSR1/SIGUSR2 pause/resume the workers; SIGHUP reloads appsettings.json. Logs go through Serilog (the "Serilog" section); traces and metrics go over OTLP when
// an endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or the "OpenTelemetry" section).
// Exit codes: 0 clean, 1 a worker gave up, 2 bad configuration, 3 shutdown timeout.
Log.Logger = DemoLogging.CreateBootstrapLogger(); // start-up failures are logged before the host exists
var log = Log.ForContext("SourceContext", "WorkerDemo");
try
{
    var builder = StewardHost.CreateApplicationBuilder(args); // a malformed appsettings.json: one line and exit code 2
    if (DemoLogging.Problem(builder.Configuration) is { } problem)
    {
        log.Fatal("Invalid configuration: {Problem}", problem);
        return StewardExitCodes.InvalidConfiguration;
    }

    builder.Services.AddSerilog((services, logger) => DemoLogging.Configure(logger, builder.Configuration, services));

    builder.Services.AddOptions<DemoOptions>()
        .BindConfiguration(DemoOptions.Section)
        .ValidateKnownKeys(DemoOptions.Section)             // a misspelt key: its full path and "did you mean"
        .KeepLastGood()                                     // a bad reload keeps the last good settings
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
        .BindConfiguration(TelemetryOptions.Section)
        .ValidateKnownKeys(TelemetryOptions.Section)
        .ValidateOnStart();
    builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

    builder.Services.AddSingleton<DeviceLifecycle>();       // the sensors' connection state machine
    builder.Services.AddSingleton<Maintenance>();           // the heartbeat/command tasklets and their nursery jobs
    var steward = builder.Services.AddRunState()            // settings: the "Steward" section of appsettings.json
        .AddMultiOpen<ReadingsDatabase>()                   // the SQLite file: opened once with the host, closed once after it
        .AddPool(_ => new List<Reading>(512), maxSize: 4, name: "reading-batches") // the ingest manager's batch buffers
        .AddDeferredCalls<IngestManager>(DeferredCallProcessing.Owner) // readings queue up; IngestWriter runs them
        .AddWorker<SensorMonitor>()                         // one instance per sensor (Steward:Workers:SensorMonitor:Instances)
        .AddWorker<IngestWriter>()                          // ProcessPending(), then one transaction per flush
        .AddWorker<Reporter>()                              // SyncAsync snapshots: throughput and totals
        .AddTaskNursery()                                   // maintenance jobs (compaction, retention) run as its children
        .AddTasklets((services, loop) => services.GetRequiredService<Maintenance>().Spawn(loop))
        .UseSystemd()                                       // sd_notify, watchdog and journal output under systemd; else nothing
        .UseWindowsService()                                // the SCM's lifetime under Windows services; else nothing
        .UseOpenTelemetry(otel => DemoTelemetry.Configure(otel, builder.Configuration));
    if (!string.IsNullOrEmpty(builder.Configuration.GetConnectionString("Steward")))
    {
        steward.UsePostgresCoordination();                  // several instances, one PostgreSQL: see docs/cluster.md
    }

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
