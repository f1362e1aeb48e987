using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>Cluster coordination: log messages (source-generated; event ids in <see cref="StewardEventIds"/>).</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = StewardEventIds.Cluster.Connected, Level = LogLevel.Information,
        Message = "Cluster coordination connected to {Database} as {Holder} (group {Group}, lease timeout {LeaseTimeout})")]
    public static partial void Connected(ILogger logger, string database, string holder, string group, TimeSpan leaseTimeout);

    [LoggerMessage(EventId = StewardEventIds.Cluster.Unreachable, Level = LogLevel.Warning,
        Message = "Cluster coordination cannot use the database: {Reason}; clustered workers stand by, retrying with back-off (next in {Delay})")]
    public static partial void Unreachable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = StewardEventIds.Cluster.StillUnreachable, Level = LogLevel.Debug,
        Message = "Cluster coordination still cannot use the database: {Reason}; next attempt in {Delay}")]
    public static partial void StillUnreachable(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = StewardEventIds.Cluster.Acquired, Level = LogLevel.Information,
        Message = "Acquired the lease of {Worker}/{Partition}, epoch {Epoch}: this process is its leader")]
    public static partial void Acquired(ILogger logger, string worker, int partition, long epoch);

    [LoggerMessage(EventId = StewardEventIds.Cluster.Lost, Level = LogLevel.Warning,
        Message = "Lost the lease of {Worker}/{Partition}, epoch {Epoch}: {Reason}; its worker is cancelled and stands by")]
    public static partial void Lost(ILogger logger, string worker, int partition, long epoch, string reason);

    [LoggerMessage(EventId = StewardEventIds.Cluster.GivingUp, Level = LogLevel.Information,
        Message = "Giving up the lease of {Worker}/{Partition}, epoch {Epoch}: {Reason}")]
    public static partial void GivingUp(ILogger logger, string worker, int partition, long epoch, string reason);

    [LoggerMessage(EventId = StewardEventIds.Cluster.Released, Level = LogLevel.Information,
        Message = "Released the lease of {Worker}/{Partition}, epoch {Epoch}")]
    public static partial void Released(ILogger logger, string worker, int partition, long epoch);

    [LoggerMessage(EventId = StewardEventIds.Cluster.LeaveFailed, Level = LogLevel.Warning,
        Message = "Could not release the leases at stop: {Reason}; they expire within the lease timeout")]
    public static partial void LeaveFailed(ILogger logger, string reason);
}
