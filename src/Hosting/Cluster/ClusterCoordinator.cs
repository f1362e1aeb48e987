using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Steward.Hosting;

/// <summary>
/// Holds this process's leases: one loop owns the coordination connection and, in one round trip per tick, releases the
/// leases whose runs ended, renews the held ones, keeps its membership of partitioned workers, acquires what its standing-by
/// instances want (up to its share) and reads who holds the rest. It ticks every third of the lease timeout, at once when
/// an instance wants or gives back a lease or another process notifies, and when a lease it waits for expires.
/// </summary>
/// <remarks>
/// <para>
/// <b>Invariant: a lease is lost locally before it can expire in the database.</b> The database's expiry is at least the
/// renewal's send time plus the lease timeout; locally every held lease is given up once five sixths of it have passed
/// since the last renewal that succeeded was sent (a timer, so a hung query cannot delay it), and at once when the
/// connection breaks. Giving up cancels the lease's <see cref="ClusterLease.LostToken"/> and with it the run.
/// </para>
/// <para>
/// <b>Invariant: an instance's next lease is never acquired before its previous run ended</b>: a slot is offered for
/// acquisition only while its supervisor waits in <see cref="AcquireAsync"/>, which it calls only between runs.
/// </para>
/// </remarks>
[DebuggerDisplay("Cluster coordination as {Holder,nq}: {_slots.Count} slots, problem {_controller.CoordinationProblem}")]
internal sealed partial class ClusterCoordinator : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_expiryMargin = TimeSpan.FromMilliseconds(50);

    private readonly Lock _lock = new();
    private readonly List<LeaseSlot> _slots = []; // guarded by _lock
    private readonly Dictionary<string, (int Count, int Rank)> _members = new(StringComparer.Ordinal); // guarded by _lock
    private readonly PostgresLeaseStore _store;
    private readonly RunStateController _controller;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly string _database;
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource? _waiting; // guarded by _lock: cancels the loop's wait when work arrives
    private bool _wake; // guarded by _lock: work arrived while the loop was not waiting
    private CancellationTokenSource _commands = new(); // the loop's queries; cancelled by the renewal watchdog
    private ITimer? _watchdog;
    private long _renewedAt; // guarded by _lock: when the last renewal that succeeded was sent (timestamp), 0 if none
    private long _tickSentAt; // guarded by _lock: when the last tick was sent, so renewals keep their period
    private int _generation; // guarded by _lock: bumped by every LoseAll; a tick sent before it is void
    private TimeSpan? _nextAttempt; // guarded by _lock: when a lease an instance waits for expires, from the last tick
    private Task? _loop;

    public ClusterCoordinator(
        PostgresCoordinationOptions options, StewardSettings settings, WorkerCatalog catalog, IHostEnvironment environment,
        RunStateController controller, TimeProvider clock, ILogger<ClusterCoordinator> logger)
    {
        var current = settings.Current;
        var cluster = current.Cluster ?? new ClusterOptions();
        LeaseTimeout = cluster.LeaseTimeout;
        Group = string.IsNullOrWhiteSpace(cluster.Group) ? environment.ApplicationName : cluster.Group;
        Holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Random.Shared.Next(0x10000):x4}";
        // By the registered name (the configuration's key may differ in case): every process names a lease the same.
        Workers = [.. catalog.Workers
            .Select(w => (w.Name, Options: current.For(w.Name)))
            .Where(w => w.Options is { Enabled: true, Cluster.Mode: not ClusterMode.None })
            .Select(w => (w.Name, w.Options.Cluster.Mode == ClusterMode.Partitioned ? w.Options.Cluster.Partitions : 1))];
        var connection = PostgresLeaseStore.Settings(options.ConnectionString!, LeaseTimeout, Holder);
        _database = $"{connection.Host}:{connection.Port}/{connection.Database}";
        _store = new PostgresLeaseStore(options.ConnectionString!, Group, Holder, LeaseTimeout);
        _controller = controller;
        _clock = clock;
        _logger = logger;
        controller.CoordinationProblem = "not connected yet";
        ClusterMetrics.Track(this);
    }

    /// <summary>This process, as the lease table names it.</summary>
    public string Holder { get; }

    public string Group { get; }

    public TimeSpan LeaseTimeout { get; }

    /// <summary>The clustered workers (enabled, mode not None) and their partition counts, as configured at start.</summary>
    public IReadOnlyList<(string Worker, int Partitions)> Workers { get; }

    private TimeSpan RenewEvery => LeaseTimeout / 3;

    // Five sixths: renewals at one third and two thirds may both fail before the lease is given up.
    private TimeSpan SafeWindow => LeaseTimeout * 5 / 6;

    /// <summary>A slot for one clustered worker instance; made when the workers start.</summary>
    public LeaseSlot Register(string worker, int partition, ClusterMode mode)
    {
        var slot = new LeaseSlot(worker, partition, mode);
        lock (_lock)
        {
            _slots.Add(slot);
        }

        return slot;
    }

    /// <summary>
    /// Waits until this process holds <paramref name="slot"/>'s lease. Before: no run of the slot is in progress. On
    /// cancel: the slot stops wanting it (a lease granted meanwhile is released at the next tick).
    /// </summary>
    public async Task<ClusterLease> AcquireAsync(LeaseSlot slot, CancellationToken cancellationToken)
    {
        var grant = new TaskCompletionSource<ClusterLease>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            slot.Grant = grant;
        }

        Wake();
        await using var registration = cancellationToken.Register(() =>
        {
            bool withdrawn;
            lock (_lock)
            {
                withdrawn = slot.Grant == grant;
                if (withdrawn)
                {
                    slot.Grant = null;
                }
            }

            if (withdrawn)
            {
                grant.TrySetCanceled(cancellationToken);
            }
        }).ConfigureAwait(false);
        return await grant.Task.ConfigureAwait(false);
    }

    /// <summary>The run of <paramref name="lease"/> has ended: gives the lease back (at the next tick, at once), unless it
    /// was lost meanwhile.</summary>
    public void Release(LeaseSlot slot, ClusterLease lease)
    {
        lock (_lock)
        {
            if (slot.Lease != lease)
            {
                return; // lost: the database forgets it by itself
            }

            slot.ReleasePending = true;
        }

        Wake();
    }

    /// <summary>Where <paramref name="slot"/> stands, for statuses.</summary>
    public WorkerClusterStatus Status(LeaseSlot slot)
    {
        lock (_lock)
        {
            return slot.Status();
        }
    }

    /// <summary>Leases held, by worker, for the held-leases instrument.</summary>
    public List<(string Worker, int Held)> HeldByWorker()
    {
        lock (_lock)
        {
            return [.. _slots.GroupBy(s => s.Worker).Select(g => (g.Key, g.Count(s => s.Lease is not null)))];
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Workers.Count == 0)
        {
            _controller.CoordinationProblem = null; // nothing is clustered: no connection is needed
            return Task.CompletedTask;
        }

        _watchdog = _clock.CreateTimer(static self => ((ClusterCoordinator)self!).CheckRenewal(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>After the workers stopped: releases the leases of the runs that ended, leaves, closes the connection.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Wake();
        if (_loop is { } loop)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _watchdog?.Dispose();
        await _store.DisposeAsync().ConfigureAwait(false);
        _commands.Dispose();
    }

    private async Task LoopAsync()
    {
        var failures = 0;
        string? reported = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var opened = false;
                if (!_store.IsOpen)
                {
                    await _store.OpenAsync(Workers, _stop.Token).ConfigureAwait(false);
                    opened = true;
                    // A fresh source per connection: the watchdog may have cancelled the last one's (or may yet, late).
                    Interlocked.Exchange(ref _commands, new CancellationTokenSource()).Dispose();
                }

                await TickAsync().ConfigureAwait(false);
                if (opened)
                {
                    Connected(ref failures, ref reported); // only once a whole tick worked: a bad schema keeps backing off
                }

                await WaitAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                await _store.CloseAsync().ConfigureAwait(false);
                var reason = Describe(ex);
                LoseAll($"the coordination connection failed ({reason})");
                var delay = RetryDelay(failures++);
                _controller.CoordinationProblem = reason;
                if (reason != reported)
                {
                    ClusterLog.Unreachable(_logger, reason, delay); // once per change of reason
                    reported = reason;
                }
                else
                {
                    ClusterLog.StillUnreachable(_logger, reason, delay);
                }

                try
                {
                    await Task.Delay(delay, _clock, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await LeaveAsync().ConfigureAwait(false);
    }

    private void Connected(ref int failures, ref string? reported)
    {
        failures = 0;
        reported = null;
        _controller.CoordinationProblem = null;
        ClusterLog.Connected(_logger, _database, Holder, Group, LeaseTimeout);
    }

    private async Task TickAsync()
    {
        LeaseTickRequest request;
        long sentAt;
        int generation;
        lock (_lock)
        {
            request = BuildRequest();
            sentAt = _tickSentAt = _clock.GetTimestamp();
            generation = _generation;
        }

        var result = await _store.TickAsync(request, Volatile.Read(ref _commands).Token).ConfigureAwait(false);
        var after = new List<Action>();
        lock (_lock)
        {
            // Invariant: a result that comes back after every lease was given up (the watchdog, a lost connection), or
            // too late to be trusted, renews nothing and grants nothing: what it acquired is given straight back.
            var late = generation != _generation || _clock.GetElapsedTime(sentAt) >= SafeWindow;
            Apply(request, result, sentAt, late, after);
        }

        foreach (var action in after)
        {
            action(); // grants and losses, outside the lock: their continuations and LostToken callbacks run user code
        }
    }

    // Caller holds _lock.
    private LeaseTickRequest BuildRequest()
    {
        var request = new LeaseTickRequest();
        foreach (var slot in _slots)
        {
            if (slot.Lease is { } lease)
            {
                (slot.ReleasePending ? request.Releases : request.Renewals).Add(new(slot.Worker, slot.Partition, lease.Epoch));
            }
        }

        foreach (var worker in _slots.GroupBy(s => s.Worker))
        {
            var first = worker.First();
            if (first.Mode == ClusterMode.Partitioned)
            {
                request.Members.Add(worker.Key);
            }

            var ready = worker.Where(s => s.IsReady).Select(s => s.Partition).ToArray();
            if (ready.Length > 0)
            {
                request.Wants.Add(new(worker.Key, first.Mode, worker.Count(), ready, worker.Count(s => s.Lease is not null)));
            }

            if (worker.Any(s => s.Lease is null))
            {
                request.Snapshot.Add(worker.Key);
            }
        }

        return request;
    }

    // Caller holds _lock; what must run outside it goes to `after`.
    private void Apply(LeaseTickRequest request, LeaseTickResult result, long sentAt, bool late, List<Action> after)
    {
        foreach (var key in request.Releases)
        {
            if (Find(key.Worker, key.Partition) is { Lease: { } lease } slot && lease.Epoch == key.Epoch && slot.ReleasePending)
            {
                slot.Lease = null;
                slot.ReleasePending = false;
                _wake |= slot.Grant is not null; // it wants its lease again: tick at once (our own NOTIFY is not heard)
                after.Add(() =>
                {
                    lease.Lose("released after its run ended"); // no longer held: anything still watching LostToken stops
                    ClusterLog.Released(_logger, key.Worker, key.Partition, key.Epoch);
                    ClusterMetrics.Changed(key.Worker, "released");
                });
            }
        }

        foreach (var key in request.Renewals)
        {
            if (Find(key.Worker, key.Partition) is { Lease: { } lease } slot && lease.Epoch == key.Epoch && !slot.ReleasePending
                && !result.Renewed.Contains((key.Worker, key.Partition)))
            {
                Drop(slot, "the database no longer names this process as its holder", after);
            }
        }

        if (late)
        {
            foreach (var ((worker, partition, epoch), _) in result.Acquired)
            {
                if (Find(worker, partition) is { Lease: null } slot)
                {
                    slot.Lease = new ClusterLease(worker, partition, epoch, Holder, _clock.GetUtcNow());
                    slot.ReleasePending = true; // never granted: released at the next tick
                    _wake = true;
                }
            }

            return;
        }

        if (request.Renewals.Count > 0 || result.Acquired.Count > 0)
        {
            _renewedAt = sentAt;
            var left = SafeWindow - _clock.GetElapsedTime(sentAt);
            _watchdog?.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        foreach (var (worker, view) in result.Members)
        {
            _members[worker] = view;
        }

        foreach (var ((worker, partition, epoch), failover) in result.Acquired)
        {
            var slot = Find(worker, partition);
            if (slot is null)
            {
                continue;
            }

            var lease = new ClusterLease(worker, partition, epoch, Holder, _clock.GetUtcNow());
            slot.Lease = lease;
            slot.SeenHolder = Holder;
            slot.SeenEpoch = epoch;
            if (slot.Grant is { } grant)
            {
                slot.Grant = null;
                after.Add(() =>
                {
                    ClusterLog.Acquired(_logger, worker, partition, epoch);
                    ClusterMetrics.Changed(worker, "acquired");
                    if (failover is { } seconds)
                    {
                        ClusterMetrics.Failover(worker, seconds);
                    }

                    grant.TrySetResult(lease);
                });
            }
            else
            {
                slot.ReleasePending = true; // its supervisor stopped waiting meanwhile: give it back at once
                _wake = true;
            }
        }

        Rebalance(after);

        _nextAttempt = null;
        var now = _clock.GetElapsedTime(sentAt);
        foreach (var worker in request.Snapshot)
        {
            foreach (var slot in _slots)
            {
                if (slot.Worker != worker || slot.Lease is not null)
                {
                    continue;
                }

                slot.SeenHolder = null;
                foreach (var held in result.Held)
                {
                    if (held.Worker == worker && held.Partition == slot.Partition)
                    {
                        slot.SeenHolder = held.Holder;
                        slot.SeenEpoch = held.Epoch;
                        if (slot.IsReady)
                        {
                            // Try again the moment it expires (its holder renews well before, unless it is gone).
                            var at = TimeSpan.FromSeconds(held.ExpiresIn) + s_expiryMargin - now;
                            _nextAttempt = _nextAttempt is { } earlier && earlier < at ? earlier : at;
                        }
                    }
                }
            }
        }
    }

    // Caller holds _lock. A partitioned worker holding more than its share gives the surplus up (highest partitions first):
    // the runs are cancelled, and the leases are released once they have ended.
    private void Rebalance(List<Action> after)
    {
        foreach (var (worker, (count, rank)) in _members)
        {
            var slots = _slots.Where(s => s.Worker == worker).ToList();
            var partitions = slots.Count;
            var share = (partitions / Math.Max(count, 1)) + (rank < partitions % Math.Max(count, 1) ? 1 : 0);
            var kept = slots.Where(s => s.Lease is { IsLost: false } && !s.ReleasePending).OrderBy(s => s.Partition).ToList();
            foreach (var slot in kept.Skip(share))
            {
                var lease = slot.Lease!;
                var reason = $"rebalancing {partitions} partitions over {count} processes (this one's share is {share})";
                after.Add(() =>
                {
                    if (lease.Lose(reason, givenUp: true))
                    {
                        ClusterLog.GivingUp(_logger, worker, lease.Partition, lease.Epoch, reason);
                    }
                });
            }
        }
    }

    // Caller holds _lock. The lease is gone (not renewed, connection lost): nothing to release.
    private void Drop(LeaseSlot slot, string reason, List<Action> after)
    {
        var lease = slot.Lease!;
        var ended = slot.ReleasePending;
        slot.Lease = null;
        slot.ReleasePending = false;
        after.Add(() =>
        {
            // A lease whose run had already ended (only its release was pending) is not reported lost: it expires unused.
            if (lease.Lose(reason) && !ended)
            {
                ClusterMetrics.Changed(lease.Name, "lost");
                ClusterLog.Lost(_logger, lease.Name, lease.Partition, lease.Epoch, reason);
            }
        });
    }

    private void LoseAll(string reason)
    {
        var after = new List<Action>();
        lock (_lock)
        {
            LoseAllLocked(reason, after);
        }

        foreach (var action in after)
        {
            action();
        }
    }

    // Caller holds _lock.
    private void LoseAllLocked(string reason, List<Action> after)
    {
        foreach (var slot in _slots)
        {
            if (slot.Lease is not null)
            {
                Drop(slot, reason, after);
            }
        }

        _generation++;
        _renewedAt = 0;
        _members.Clear();
        _watchdog?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The renewal watchdog: no renewal succeeded within the safe window, so every lease is given up now, before
    /// any can expire in the database, and the hung query is cancelled (the connection is then opened again).</summary>
    private void CheckRenewal()
    {
        var after = new List<Action>();
        lock (_lock)
        {
            // Nothing held (all released since): nothing to protect, and a query that is merely slow is left to its timeout.
            if (_renewedAt == 0 || !_slots.Exists(s => s.Lease is not null))
            {
                return;
            }

            var elapsed = _clock.GetElapsedTime(_renewedAt);
            if (elapsed < SafeWindow)
            {
                _watchdog?.Change(SafeWindow - elapsed, Timeout.InfiniteTimeSpan); // woken early (timer granularity): again
                return;
            }

            LoseAllLocked(string.Create(CultureInfo.InvariantCulture, $"no renewal succeeded for {SafeWindow.TotalSeconds:0.###} s, so the lease could expire"), after);
        }

        foreach (var action in after)
        {
            action();
        }

        try
        {
            Volatile.Read(ref _commands).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Reconnected meanwhile: the new connection's queries are not hung.
        }
    }

    private async Task WaitAsync()
    {
        TimeSpan delay;
        CancellationTokenSource waiting;
        lock (_lock)
        {
            if (_wake || _stop.IsCancellationRequested)
            {
                _wake = false;
                return;
            }

            // The next renewal a third of the lease timeout after the last one was *sent* (not after it returned).
            var renew = RenewEvery - _clock.GetElapsedTime(_tickSentAt);
            delay = _nextAttempt is { } attempt && attempt < renew ? attempt : renew;
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            waiting = _waiting = new CancellationTokenSource(delay, _clock);
        }

        try
        {
            await _store.WaitAsync(waiting.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _waiting = null;
                _wake = false; // the tick that follows reads everything the wake was for
            }

            waiting.Dispose();
        }
    }

    private void Wake()
    {
        CancellationTokenSource? waiting;
        lock (_lock)
        {
            _wake = true;
            waiting = _waiting;
        }

        try
        {
            waiting?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The wait ended meanwhile.
        }
    }

    private async Task LeaveAsync()
    {
        List<LeaseKey> releases;
        lock (_lock)
        {
            releases = [.. _slots.Where(s => s is { ReleasePending: true, Lease: not null })
                .Select(s => new LeaseKey(s.Worker, s.Partition, s.Lease!.Epoch))];
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (!await _store.LeaveAsync(releases, timeout.Token).ConfigureAwait(false))
            {
                return; // no connection: the leases expire by themselves
            }

            var released = new List<ClusterLease>();
            lock (_lock)
            {
                foreach (var slot in _slots.Where(s => s.ReleasePending))
                {
                    released.Add(slot.Lease!);
                    slot.Lease = null; // released: nothing left to lose
                    slot.ReleasePending = false;
                }
            }

            released.ForEach(lease => lease.Lose("released after its run ended"));
            foreach (var key in releases)
            {
                ClusterLog.Released(_logger, key.Worker, key.Partition, key.Epoch);
                ClusterMetrics.Changed(key.Worker, "released");
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or OperationCanceledException or InvalidOperationException)
        {
            ClusterLog.LeaveFailed(_logger, Describe(ex));
        }
        finally
        {
            LoseAll("this process is stopping");
            await _store.CloseAsync().ConfigureAwait(false);
        }
    }

    private LeaseSlot? Find(string worker, int partition) =>
        _slots.Find(s => s.Partition == partition && string.Equals(s.Worker, worker, StringComparison.Ordinal));

    private TimeSpan RetryDelay(int failures)
    {
        var ticks = Math.Min(LeaseTimeout.Ticks, s_firstRetry.Ticks * Math.ScaleB(1, Math.Min(failures, 30)));
        return TimeSpan.FromTicks((long)(ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
    }

    private static string Describe(Exception ex) => ex switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } => $"{ex.Message} ({inner.Message})",
        OperationCanceledException => "a query did not answer in time",
        _ => ex.Message,
    };
}
