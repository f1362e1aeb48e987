using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>Steward settings: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class SettingsLog
{
    [LoggerMessage(EventId = StewardEventIds.Settings.Rejected, Level = LogLevel.Error,
        Message = "The reloaded configuration is invalid; the previous Steward settings stay in force: {Problems}")]
    public static partial void Rejected(ILogger logger, string problems);
}
