using Microsoft.Extensions.Configuration;
using Npgsql;
using Steward.Hosting;

namespace Steward.TestHost;

/// <summary>
/// A clustered worker for the scale-out tests: while it holds its lease it appends (epoch, process, time) rows to
/// <c>journal</c> every 50 ms through an epoch-fenced write (the row of <c>fence</c> for its worker and partition holds
/// the highest epoch that wrote; a lower one is refused), records the same unfenced in <c>beats</c> (so that two runs at
/// once would show there, interleaved), and says when it leads and when it stops.
/// </summary>
internal sealed class FencedWriter(ClusterLease lease, IConfiguration configuration) : IRunStateWorker
{
    private const string Fence = """
        INSERT INTO fence (name, partition, epoch) VALUES (@name, @partition, @epoch)
        ON CONFLICT (name, partition) DO UPDATE SET epoch = excluded.epoch WHERE fence.epoch <= excluded.epoch
        """;

    private const string Append = "INSERT INTO journal (name, partition, epoch, process, at) VALUES (@name, @partition, @epoch, @process, clock_timestamp())";

    private const string Beat = "INSERT INTO beats (name, partition, epoch, process, at) VALUES (@name, @partition, @epoch, @process, clock_timestamp())";

    public async Task ExecuteAsync(RunState runState)
    {
        var who = $"{lease.Name}/{lease.Partition} epoch {lease.Epoch} pid {Environment.ProcessId}";
        Out.Say($"leader {who}");
        try
        {
            await using var connection = new NpgsqlConnection(configuration.GetConnectionString("Steward"));
            await connection.OpenAsync(runState.Token);
            while (true)
            {
                await using (var transaction = await connection.BeginTransactionAsync(runState.Token))
                {
                    await using var fence = new NpgsqlCommand(Fence, connection, transaction);
                    Parameters(fence);
                    if (await fence.ExecuteNonQueryAsync(runState.Token) == 1)
                    {
                        await using var append = new NpgsqlCommand(Append, connection, transaction);
                        Parameters(append);
                        await append.ExecuteNonQueryAsync(runState.Token);
                        await transaction.CommitAsync(runState.Token);
                    }
                    else
                    {
                        Out.Say($"fenced {who}");
                    }
                }

                await using (var beat = new NpgsqlCommand(Beat, connection))
                {
                    Parameters(beat);
                    await beat.ExecuteNonQueryAsync(runState.Token);
                }

                await runState.SleepAsync(TimeSpan.FromMilliseconds(50));
            }
        }
        finally
        {
            Out.Say($"stopped {who}{(lease.LostReason is { } reason ? $" lost: {reason}" : "")}");
        }
    }

    private void Parameters(NpgsqlCommand command)
    {
        command.Parameters.AddWithValue("name", lease.Name);
        command.Parameters.AddWithValue("partition", lease.Partition);
        command.Parameters.AddWithValue("epoch", lease.Epoch);
        command.Parameters.AddWithValue("process", Environment.ProcessId);
    }
}
