using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Steward.TestHost;

// usage: Steward.TestHost <scenario> [--Key=Value ...]; prints protocol lines (see Say) and exits with Steward's exit code.
var scenario = args.Length > 0 ? args[0] : "";
var builder = StewardHost.CreateApplicationBuilder(args.Skip(1).ToArray());
builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
var steward = builder.Services.AddRunState().UseSystemd(); // a no-op unless systemd (or a test) gave a NOTIFY_SOCKET
switch (scenario)
{
    case "workers":
        steward.AddWorker<TickWorker>("Ticker");
        break;
    case "flaky":
        steward.AddWorker<FlakyWorker>("Flaky");
        break;
    case "stubborn":
        steward.AddWorker<StubbornWorker>("Stubborn").AddWorker<TickWorker>("Ticker");
        break;
    case "reload":
        builder.Services.AddOptions<ReloadOptions>().Bind(builder.Configuration.GetSection("Reload"))
            .Validate(o => o.Message != "invalid", "Reload:Message must not be 'invalid'")
            .KeepLastGood(); // a bad reload keeps the last good message
        steward.AddWorker<ReloadWatcher>("Watcher");
        break;
    case "reload-plain": // the framework's own monitor, for contrast
        builder.Services.AddOptions<ReloadOptions>().Bind(builder.Configuration.GetSection("Reload"))
            .Validate(o => o.Message != "invalid", "Reload:Message must not be 'invalid'");
        steward.AddWorker<ReloadWatcher>("Watcher");
        break;
    case "nursery-fail":
        steward.AddTaskNursery().AddWorker<NurseryFeeder>("Feeder");
        break;
    case "leak":
        steward.AddMultiOpen<LeakyResource>().AddWorker<Leaker>("Leaker");
        break;
    case "stall":
        steward.AddWorker<StallingWorker>("Staller").AddWorker<TickWorker>("Ticker");
        break;
    case "slowstop":
        steward.AddWorker<SlowDrainWorker>("Drainer");
        break;
    case "cluster": // one Singleton and one Partitioned worker, by configuration (Steward:Workers:Leader / Parts)
        steward.UsePostgresCoordination().AddWorker<FencedWriter>("Leader").AddWorker<FencedWriter>("Parts");
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'");
        return 64;
}

return await builder.Build().RunStewardAsync();
