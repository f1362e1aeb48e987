using Microsoft.Extensions.Options;
using Steward;
using Steward.Nurseries;
using Steward.Tasklets;

namespace WorkerDemo;

/// <summary>
/// Maintenance, run by a pair of tasklets on the host's tasklet loop (one thread, so they never race): the heartbeat beats
/// every HeartbeatInterval and, every MaintenanceEvery beats, asks the command tasklet for due maintenance. The command
/// tasklet accepts that request and defers the plain heartbeats meanwhile (they stay queued, in order), starts the
/// maintenance jobs as children of the host's <see cref="TaskNursery"/> (a WAL compaction, a retention sweep), then
/// acknowledges the heartbeats it deferred.
/// </summary>
internal sealed partial class Maintenance(
    TaskNursery nursery, ReadingsDatabase database, IOptionsMonitor<DemoOptions> options, TimeProvider clock, ILogger<Maintenance> logger)
{
    /// <summary>Spawns the pair on <paramref name="loop"/> (from <c>AddTasklets</c>, once the host has started).</summary>
    public void Spawn(TaskletLoop loop)
    {
        var command = loop.Spawn(CommandAsync, "command");
        loop.Spawn(heartbeat => HeartbeatAsync(heartbeat, command), "heartbeat");
    }

    private async Task HeartbeatAsync(Tasklet self, Tasklet command)
    {
        var every = WaitFor.Timeout(options.CurrentValue.HeartbeatInterval); // re-armed on each wait: keeps its schedule
        for (var beat = 1; ; beat++)
        {
            await self.WaitAsync(every);
            command.Post(new Message("heartbeat", beat));
            if (beat % options.CurrentValue.MaintenanceEvery == 0)
            {
                command.Post(new Message("maintenance-due", beat));
            }
        }
    }

    private async Task CommandAsync(Tasklet self)
    {
        var acknowledged = 0;
        while (true)
        {
            // Busy with maintenance requests only: plain heartbeats are deferred, kept in arrival order.
            var request = await self.WaitAsync<Message>(WaitFor.Messages(accept: ["maintenance-due"], defer: ["heartbeat"]));
            LogMaintenanceAccepted((int)request.Value!);
            _ = nursery.Start(CompactAsync, "compaction");      // the nursery awaits them: a failure stops the host
            _ = nursery.Start(SweepAsync, "retention sweep");

            // Then the deferred heartbeats, oldest first, until none is left.
            var deferred = 0;
            while (await self.WaitAsync(WaitFor.Messages(accept: ["heartbeat"]), WaitFor.Timeout(TimeSpan.FromMilliseconds(1))) is Message)
            {
                deferred++;
            }

            acknowledged += deferred;
            LogHeartbeatsAcknowledged(deferred, acknowledged);
        }
    }

    private async Task CompactAsync(CancellationToken cancellationToken)
    {
        await using var lease = await database.OpenAsync(cancellationToken);
        var started = clock.GetTimestamp();
        await database.CheckpointAsync(cancellationToken);
        var took = clock.GetElapsedTime(started);
        LogCompacted(took);
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var retention = options.CurrentValue.Retention;
        if (retention == TimeSpan.Zero)
        {
            return;
        }

        await using var lease = await database.OpenAsync(cancellationToken);
        var deleted = await database.DeleteOlderThanAsync(clock.GetUtcNow() - retention, cancellationToken);
        LogSwept(deleted, retention);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance due at heartbeat {Beat}: accepted; heartbeats deferred meanwhile")]
    private partial void LogMaintenanceAccepted(int beat);

    [LoggerMessage(Level = LogLevel.Information, Message = "Acknowledged {Deferred} deferred heartbeats ({Total} so far)")]
    private partial void LogHeartbeatsAcknowledged(int deferred, int total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Compaction (nursery job): write-ahead log checkpointed in {Took}")]
    private partial void LogCompacted(TimeSpan took);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention sweep (nursery job): {Deleted} readings older than {Retention} deleted")]
    private partial void LogSwept(int deleted, TimeSpan retention);
}
