using System.Collections.Concurrent;

namespace Steward.Tasklets;

/// <summary>The loop thread and its work queue.</summary>
public sealed partial class TaskletLoop
{
    // Items queued from other threads: lock-free, one interlocked reservation per item (see Enqueue). The loop thread
    // takes, at each round, the items present when the round began.
    private readonly ConcurrentQueue<WorkItem> _incoming = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Lock _endLock = new(); // serialises the after-end sweeps of _incoming (see SweepAfterEnd)
    private int _sleeping; // 1 while the loop is about to block or blocked on _wake; cleared by the one producer that wakes it
    private int _ended;    // 1 once the loop thread has exited: what is queued later is handled by whoever finds it

    // Loop thread only.
    private readonly Queue<WorkItem> _ready = new();
    private readonly List<IdleCondition> _idle = [];
    private bool _exitRequested; // set (loop thread, under _liveLock) once stopping and no tasklet is left

    /// <summary>Queues <paramref name="item"/>; on the loop thread without a lock. Returns <see langword="false"/> once
    /// the loop has ended (the caller then handles the item itself).</summary>
    internal bool Enqueue(in WorkItem item)
    {
        if (IsLoopThread)
        {
            _ready.Enqueue(item);
            return true;
        }

        if (Volatile.Read(ref _ended) != 0)
        {
            return false;
        }

        // The queue reserves the item's slot with an interlocked compare-and-swap, a full fence, before it publishes it,
        // and counts a reserved slot as queued (its IsEmpty waits for the publication). So the reads below come after the
        // reservation is visible (Dekker, twice): either the loop, which sets _sleeping (or _ended) with an interlocked
        // exchange before it looks at the queue, sees this item, or this sees its flag.
        _incoming.Enqueue(item);
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0)
        {
            _wake.Set(); // only the producer that cleared the flag sets the event: a wake-up is never lost nor doubled
        }

        if (Volatile.Read(ref _ended) != 0)
        {
            SweepAfterEnd(); // the loop may have ended before it saw this item: handle what is left here
        }

        return true;
    }

    /// <summary>Queues the resumption of <paramref name="tasklet"/> from its completed wait (loop thread).</summary>
    internal void EnqueueResume(Tasklet tasklet) => _ready.Enqueue(new WorkItem(WorkKind.Resume, tasklet, null, null));

    internal void AddIdle(IdleCondition condition) => _idle.Add(condition);

    internal void RemoveIdle(IdleCondition condition) => _idle.Remove(condition);

    private void Run()
    {
        SynchronizationContext.SetSynchronizationContext(_context);
        while (true)
        {
            // One round: exactly the items present now, those ready first, then those other threads queued; what they
            // queue runs in the next round, after the items other threads queued meanwhile.
            var fromOthers = _incoming.Count;
            var ready = _ready.Count;
            if (ready + fromOthers == 0)
            {
                if (_exitRequested)
                {
                    Interlocked.Exchange(ref _ended, 1); // a full fence before the last look at the queue (see Enqueue)
                    SweepAfterEnd();
                    break;
                }

                if (TryFireIdle())
                {
                    continue;
                }

                Interlocked.Exchange(ref _sleeping, 1); // a full fence before the look at the queue (see Enqueue)
                if (!_incoming.IsEmpty)
                {
                    Volatile.Write(ref _sleeping, 0);
                    continue;
                }

                // The loop's own dedicated thread sleeps until work is posted (the producer that clears _sleeping sets
                // _wake): this is the one thread a TaskletLoop owns, never a pool thread or a caller's. A set left over from
                // an earlier sleep only makes one round find nothing.
                _wake.Wait();
                _wake.Reset();
                continue;
            }

            for (; ready > 0; ready--)
            {
                Execute(_ready.Dequeue());
            }

            for (; fromOthers > 0 && _incoming.TryDequeue(out var item); fromOthers--)
            {
                Execute(item);
            }
        }

        SynchronizationContext.SetSynchronizationContext(null);

        // _wake is left to the GC: a producer that cleared _sleeping just as the loop found work on its own may still set
        // it. _stoppingCts is left undisposed: StoppingToken stays readable, and a source without timers or links holds
        // nothing that needs disposing.
        _stopped!.TrySetResult();
    }

    /// <summary>
    /// After the loop ended: handles what is still queued as the callers of a refused <see cref="Enqueue"/> would have,
    /// callbacks on the thread pool, messages dropped with a warning (their tasklets have finished: the loop ends only
    /// after every tasklet did). Called by the loop as it ends and by any producer that finds the end after queuing.
    /// </summary>
    private void SweepAfterEnd()
    {
        lock (_endLock)
        {
            while (_incoming.TryDequeue(out var item))
            {
                switch (item.Kind)
                {
                    case WorkKind.Callback:
                        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Callback!(s.State), item, preferLocal: false);
                        break;
                    case WorkKind.Deliver:
                        var message = (Message)item.State!;
                        TaskletLog.MessageForFinishedTasklet(_logger, item.Tasklet!.Name, message.Name, message.Sender?.Name ?? "outside any tasklet");
                        break;
                }
            }
        }
    }

    private void Execute(in WorkItem item)
    {
        var tasklet = item.Tasklet;
        try
        {
            SynchronizationContext target = tasklet is null ? _context : tasklet.Context;
            if (!ReferenceEquals(SynchronizationContext.Current, target))
            {
                SynchronizationContext.SetSynchronizationContext(target);
            }

            switch (item.Kind)
            {
                case WorkKind.Resume:
                    Tasklet.SetCurrent(tasklet);
                    tasklet!.Resume();
                    break;
                case WorkKind.Callback:
                    Tasklet.SetCurrent(tasklet);
                    item.Callback!(item.State);
                    break;
                case WorkKind.Deliver:
                    tasklet!.DeliverMessage((Message)item.State!);
                    break;
            }
        }
        catch (Exception ex)
        {
            // async void bodies and stray callbacks end up here; the loop must outlive them.
            TaskletLog.WorkItemFailed(_logger, ex, Name, tasklet?.Name ?? "(none)");
        }
        finally
        {
            Tasklet.SetCurrent(null);
        }
    }

    /// <summary>The ready queue is empty: fire the first idle condition whose tasklet is waiting on it, and move it to
    /// the back so idle waiters take turns (one per idle moment).</summary>
    private bool TryFireIdle()
    {
        for (var i = 0; i < _idle.Count; i++)
        {
            var condition = _idle[i];
            if (condition.ArmedBy is { IsWaiting: true })
            {
                _idle.RemoveAt(i);
                _idle.Add(condition);
                condition.FireNow();
                return true;
            }
        }

        return false;
    }
}
