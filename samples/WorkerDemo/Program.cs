using Microsoft.Extensions.Options;
using WorkerDemo;

// The Steward worker demo: two RunState-driven loops share one SQLite database (a MultiOpen), opened once at start
// and closed once at stop. Ctrl+C (SIGINT) or SIGTERM stops it gracefully. Configuration: appsettings.json.
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
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ReadingsDatabase>();

// Hosted services start in this order and stop in reverse: the database's host lease outlives both loops.
builder.Services.AddHostedService<DatabaseLifetime>();
builder.Services.AddHostedService<SensorMonitor>();
builder.Services.AddHostedService<ReadingsReporter>();

using var host = builder.Build();
try
{
    // Validate before starting, so a bad setting is reported as one clear line per problem and nothing starts.
    _ = host.Services.GetRequiredService<IOptions<DemoOptions>>().Value;
}
catch (OptionsValidationException ex)
{
    foreach (var failure in ex.Failures)
    {
        Console.Error.WriteLine($"Invalid configuration: {failure}");
    }

    return 2;
}
catch (InvalidOperationException ex) when (ex.InnerException is FormatException)
{
    // The configuration binder could not convert a value; its message names the key and the value.
    Console.Error.WriteLine($"Invalid configuration: {ex.Message}");
    return 2;
}

await host.RunAsync();
return 0;
