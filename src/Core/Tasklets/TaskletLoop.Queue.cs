namespace Steward.Tasklets;

/// <summary>The loop thread and its work queue.</summary>
public sealed partial class TaskletLoop
{
    // Items queued from other threads, guarded by _queueLock. At each round the loop thread swaps the whole queue for
    // the empty _taken one (an O(1) hold of the lock, whatever the number of items, so producers are barely delayed) and
    // runs what it took after the items already ready.
    private readonly Lock _queueLock = new();
    private Queue<WorkItem> _incoming = new();
    private Queue<WorkItem> _taken = new(); // loop thread only: the last batch taken from _incoming, empty between rounds
    private readonly ManualResetEventSlim _wake = new(false);
    private bool _sleeping; // guarded by _queueLock: set by the loop just before it blocks on _wake, cleared by the waker
    private bool _ended;    // guarded by _queueLock: the loop thread has exited, Enqueue refuses

    // Loop thread only.
    private readonly Queue<WorkItem> _ready = new();
    private readonly List<IdleCondition> _idle = [];
    private bool _exitRequested; // set (loop thread, under _liveLock) once stopping and no tasklet is left

    /// <summary>Queues <paramref name="item"/>; on the loop thread without a lock. Returns <see langword="false"/> once
    /// the loop has ended.</summary>
    internal bool Enqueue(in WorkItem item)
    {
        if (IsLoopThread)
        {
            _ready.Enqueue(item);
            return true;
        }

        bool wake;
        lock (_queueLock)
        {
            if (_ended)
            {
                return false;
            }

            _incoming.Enqueue(item);

            // Invariant: _sleeping is set only by the loop, under this lock, when it found _incoming empty; the one
            // producer that clears it sets the event, so a wake-up is never lost and never doubled.
            wake = _sleeping;
            _sleeping = false;
        }

        if (wake)
        {
            _wake.Set();
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
            int count;
            var taken = _taken;
            lock (_queueLock)
            {
                (_incoming, _taken) = (taken, _incoming);
                taken = _taken;
                count = _ready.Count + taken.Count;
                if (count == 0 && _exitRequested)
                {
                    _ended = true;
                    break;
                }
            }

            if (count == 0)
            {
                if (TryFireIdle())
                {
                    continue;
                }

                lock (_queueLock)
                {
                    if (_incoming.Count > 0)
                    {
                        continue;
                    }

                    _sleeping = true;
                }

                // The loop's own dedicated thread sleeps until work is posted (Post sets _wake when _sleeping): this
                // is the one thread a TaskletLoop owns, never a pool thread or a caller's.
                _wake.Wait();
                _wake.Reset();
                continue;
            }

            // One round: exactly the items present now, those ready first, then those taken from other threads; what they
            // queue runs in the next round, after the items other threads queued meanwhile.
            for (var ready = _ready.Count; ready > 0; ready--)
            {
                Execute(_ready.Dequeue());
            }

            while (taken.TryDequeue(out var item))
            {
                Execute(item);
            }
        }

        SynchronizationContext.SetSynchronizationContext(null);
        _wake.Dispose(); // nobody sets it any more: _ended refuses producers and _sleeping is false

        // _stoppingCts is left undisposed: StoppingToken stays readable, and a source without timers or links holds
        // nothing that needs disposing.
        _stopped!.TrySetResult();
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
