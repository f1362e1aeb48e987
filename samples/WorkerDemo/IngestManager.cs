using Microsoft.Extensions.Options;
using Steward;
using Steward.Deferred;

namespace WorkerDemo;

/// <summary>
/// The one place readings are written from. Monitors hand readings over with <c>Oneway(m =&gt; m.Accept(reading))</c>,
/// which never blocks them and never lets two of them touch the batch at once; the reporter asks for a consistent
/// <see cref="Snapshot"/> with <c>SyncAsync</c>. Every call runs in the manager's own processing context: the
/// <see cref="IngestWriter"/> worker calls <see cref="DeferredCalls{T}.ProcessPending"/> between its critical sections,
/// the batched writes (<see cref="FlushAsync"/>). At the stop the host drains what is still queued and the final flush
/// stores it: every accepted reading is in the database, as the summary line at the end says.
/// </summary>
internal sealed partial class IngestManager : DeferredCallHandler<IngestManager>
{
    private readonly ReadingsDatabase _database;
    private readonly Pool<List<Reading>> _buffers;
    private readonly IOptionsMonitor<DemoOptions> _options;
    private readonly ILogger<IngestManager> _logger;
    private readonly Dictionary<string, long> _bySensor = new(StringComparer.Ordinal);
    private List<Reading> _batch;
    private OpenLease _lease;
    private long _accepted;
    private long _stored;
    private int _finished; // 1 once the final flush ran: the host and the container both dispose the manager

    public IngestManager(ReadingsDatabase database, Pool<List<Reading>> buffers, IOptionsMonitor<DemoOptions> options, ILogger<IngestManager> logger)
        : base(new DeferredCallOptions { Name = "ingest", DrainTimeout = TimeSpan.FromSeconds(10) }, logger)
    {
        _database = database;
        _buffers = buffers;
        _options = options;
        _logger = logger;
        _batch = buffers.Get();
    }

    /// <summary>Takes a reading into the current batch. A deferred call: runs in the processing context only.</summary>
    public void Accept(Reading reading)
    {
        _batch.Add(reading);
        _accepted++;
        _bySensor[reading.Sensor] = _bySensor.GetValueOrDefault(reading.Sensor) + 1;
    }

    /// <summary>The ingest's state, consistent because nothing else runs in the processing context meanwhile.</summary>
    public IngestSnapshot Snapshot()
    {
        if (_options.CurrentValue.SnapshotDelay is { Ticks: > 0 } delay)
        {
            Thread.Sleep(delay); // a test knob: a slow snapshot, for a stop to land in the middle of
        }

        return new IngestSnapshot(_accepted, _stored, _batch.Count, _database.StoredBefore, new Dictionary<string, long>(_bySensor));
    }

    /// <summary>
    /// The critical section: stores the batch in one transaction, with a fresh buffer from the pool taking its place. Called
    /// by the processing context's owner between passes, never during one. If the write fails the readings stay batched
    /// for the next flush: nothing accepted is dropped.
    /// </summary>
    /// <returns>How many readings were stored.</returns>
    public async Task<int> FlushAsync()
    {
        if (_batch.Count == 0)
        {
            return 0;
        }

        if (!_lease.IsActive)
        {
            _lease = await _database.OpenAsync(); // held until the manager is disposed at the stop
        }

        var full = _batch;
        _batch = _buffers.Get();
        try
        {
            await _database.InsertAsync(full, CancellationToken.None); // a batch is stored whole: never cut short by a stop
        }
        catch
        {
            full.AddRange(_batch); // keep the order: the failed batch first
            _buffers.Return(_batch);
            _batch = full;
            throw;
        }

        _stored += full.Count;
        var count = full.Count;
        full.Clear();
        _buffers.Return(full);
        return count;
    }

    /// <summary>At the stop: the queued calls run (the base drains them), then the last batch is stored and summarised.</summary>
    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        try
        {
            await FlushAsync();
        }
        catch (Exception ex)
        {
            LogFinalFlushFailed(_batch.Count, ex);
        }

        LogSummary(_accepted, _stored, _database.StoredBefore + _stored, _accepted - _stored);
        await _lease.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Ingest summary: {Accepted} readings accepted this run, {Stored} stored, {Total} in the database, {Lost} lost")]
    private partial void LogSummary(long accepted, long stored, long total, long lost);

    [LoggerMessage(Level = LogLevel.Error, Message = "The final flush failed: {Count} accepted readings could not be stored")]
    private partial void LogFinalFlushFailed(int count, Exception exception);
}
