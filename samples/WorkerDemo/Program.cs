using Microsoft.Extensions.Options;
using WorkerDemo;

// The Steward worker demo: two supervised workers share one SQLite database (a MultiOpen) that opens once at start and
// closes once at stop. Ctrl+C or SIGTERM stops it gracefully (twice: at once), SIGUSR1/SIGUSR2 pause/resume the workers,
// SIGHUP reloads appsettings.json. Exit codes: 0 clean, 1 a worker gave up, 2 bad configuration, 3 shutdown timeout.
var builder = Host.CreateApplicationBuilder(args);

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

builder.Services.AddRunState()                  // settings: the "Steward" section of appsettings.json
    .AddMultiOpen<ReadingsDatabase>()           // opened with the host; Opened<ReadingsDatabase> per worker scope
    .AddWorker<SensorMonitor>()                 // supervised: restarted with back-off if it fails
    .AddWorker<ReadingsReporter>();
builder.Services.AddHealthChecks().AddRunStateHealthCheck();
builder.Services.AddHostedService<RunForService>();

return await builder.Build().RunStewardAsync();
