using Serilog;
using Serilog.Settings.Configuration;
using Serilog.Sinks.SystemConsole.Themes;

namespace WorkerDemo;

/// <summary>
/// The demo's Serilog: configured from the "Serilog" section (sinks, levels, enrichers), with the services' enrichers and
/// the log context (so the worker scope's <c>WorkerName</c> and <c>WorkerInstance</c> reach every event), and a bootstrap
/// logger that reports start-up failures before the host exists.
/// </summary>
internal static class DemoLogging
{
    /// <summary>The console format when the section names none: a time, the level, where from, the message.</summary>
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    // The sink assemblies the section may name, given explicitly: a single-file publish has no dependency manifest to
    // discover them from.
    private static readonly ConfigurationReaderOptions s_readerOptions = new(
        typeof(ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(Serilog.Formatting.Compact.CompactJsonFormatter).Assembly)
    {
        SectionName = "Serilog",
    };

    /// <summary>A console logger for the start, replaced by the configured one once the host's services exist.</summary>
    public static Serilog.Extensions.Hosting.ReloadableLogger CreateBootstrapLogger() => new LoggerConfiguration()
        .MinimumLevel.Information()
        .WriteTo.Console(outputTemplate: ConsoleTemplate, theme: ConsoleTheme.None, formatProvider: System.Globalization.CultureInfo.InvariantCulture)
        .CreateBootstrapLogger();

    /// <summary>
    /// Configures the host's logger from configuration and the services. Under systemd (<c>JOURNAL_STREAM</c> set) the
    /// configured sinks give way to the console in the journal's format: one line an event, a priority prefix, no time.
    /// </summary>
    public static void Configure(LoggerConfiguration logger, IConfiguration configuration, IServiceProvider services)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM")))
        {
            logger.ReadFrom.Configuration(configuration, s_readerOptions);
        }
        else
        {
            var withoutSinks = new ConfigurationBuilder()
                .AddInMemoryCollection(configuration.GetSection(s_readerOptions.SectionName!).AsEnumerable()
                    .Where(setting => !setting.Key.StartsWith($"{s_readerOptions.SectionName}:WriteTo", StringComparison.Ordinal)))
                .Build();
            logger.ReadFrom.Configuration(withoutSinks, s_readerOptions)
                .WriteTo.Console(new JournalFormatter());
        }

        logger.ReadFrom.Services(services).Enrich.FromLogContext();
    }

    /// <summary>What is wrong with the "Serilog" section, in one line naming it; null when it is usable.</summary>
    public static string? Problem(IConfiguration configuration)
    {
        try
        {
            using var probe = new LoggerConfiguration().ReadFrom.Configuration(configuration, s_readerOptions).CreateLogger();
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
        {
            return $"Serilog: {ex.Message}";
        }
    }
}
