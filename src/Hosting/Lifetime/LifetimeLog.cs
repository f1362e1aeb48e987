using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>The host lifetime and signals: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class LifetimeLog
{
    [LoggerMessage(EventId = StewardEventIds.Lifetime.Started, Level = LogLevel.Information,
        Message = "Application started ({Environment}, content root {ContentRoot}). Press Ctrl+C to shut down.")]
    public static partial void Started(ILogger logger, string environment, string contentRoot);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.Stopping, Level = LogLevel.Information, Message = "Application is shutting down...")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.Stopped, Level = LogLevel.Information, Message = "Application stopped, exit code {ExitCode}")]
    public static partial void Stopped(ILogger logger, int exitCode);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.StopSignal, Level = LogLevel.Information, Message = "Received {Signal}: stopping gracefully (send it again to exit at once)")]
    public static partial void StopSignal(ILogger logger, SignalName signal);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.ForcedExit, Level = LogLevel.Critical, Message = "Received {Signal} again while stopping: exiting at once with code {ExitCode}")]
    public static partial void ForcedExit(ILogger logger, SignalName signal, int exitCode);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.Signal, Level = LogLevel.Information, Message = "Received {Signal}: {Purpose}")]
    public static partial void Signal(ILogger logger, SignalName signal, string purpose);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.Reloaded, Level = LogLevel.Information, Message = "Configuration reloaded on signal {Signal}")]
    public static partial void Reloaded(ILogger logger, SignalName signal);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.ReloadFailed, Level = LogLevel.Error, Message = "Reloading the configuration on signal {Signal} failed: {Problems}")]
    public static partial void ReloadFailed(ILogger logger, SignalName signal, string problems);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.SignalFailed, Level = LogLevel.Error, Message = "Handling signal {Signal} ({Purpose}) failed")]
    public static partial void SignalFailed(ILogger logger, SignalName signal, string purpose, Exception exception);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.CannotReload, Level = LogLevel.Warning, Message = "Signal {Signal} asks for a reload, but the configuration cannot be reloaded")]
    public static partial void CannotReload(ILogger logger, SignalName signal);

    [LoggerMessage(EventId = StewardEventIds.Lifetime.SignalUnsupported, Level = LogLevel.Warning, Message = "Signal {Signal} cannot be handled on this platform: {Reason}")]
    public static partial void SignalUnsupported(ILogger logger, SignalName signal, string reason);
}
