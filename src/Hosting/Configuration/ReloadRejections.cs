using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// Logs rejected configuration reloads once each: the first time a problem is seen as one error line, the same
/// problem again (the file watcher and a reload signal, an editor's two writes, every options type rejecting the same
/// malformed file) at debug level, until a reload of the same options succeeds. Shared by every
/// <see cref="LastGoodOptionsMonitor{TOptions}"/> of a host.
/// </summary>
internal sealed partial class ReloadRejections(ILoggerFactory loggers)
{
    /// <summary>The key under which a configuration file's problem is remembered (it concerns every options type).</summary>
    public const string Files = "";

    private readonly ILogger _logger = loggers.CreateLogger("Steward.Hosting.Settings");
    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _last = new(StringComparer.Ordinal); // guarded by _lock

    /// <summary>Reports that the options under <paramref name="key"/> were rejected for <paramref name="problems"/>.</summary>
    /// <param name="key">What was rejected: an options type and name, or <see cref="Files"/>.</param>
    /// <param name="display">How the log names the settings kept: "Steward", "Telemetry"; empty for all of them.</param>
    /// <param name="problems">One line.</param>
    public void Rejected(string key, string display, string problems)
    {
        bool repeated;
        lock (_lock)
        {
            repeated = _last.TryGetValue(key, out var previous) && previous == problems;
            _last[key] = problems;
        }

        var kept = display.Length == 0 ? "the previous settings stay in force" : $"the previous {display} settings stay in force";
        if (repeated)
        {
            LogStillRejected(_logger, kept, problems);
        }
        else
        {
            LogRejected(_logger, kept, problems);
        }
    }

    /// <summary>Forgets what was reported under <paramref name="key"/>: its options (or the files) are good again.</summary>
    public void Accepted(string key)
    {
        lock (_lock)
        {
            _last.Remove(key);
        }
    }

    [LoggerMessage(EventId = StewardEventIds.Settings.Rejected, Level = LogLevel.Error,
        Message = "The reloaded configuration is invalid; {Kept}: {Problems}")]
    private static partial void LogRejected(ILogger logger, string kept, string problems);

    [LoggerMessage(EventId = StewardEventIds.Settings.StillRejected, Level = LogLevel.Debug,
        Message = "The reloaded configuration is still invalid, as reported; {Kept}: {Problems}")]
    private static partial void LogStillRejected(ILogger logger, string kept, string problems);
}
