namespace Steward.Tasklets;

/// <summary>
/// The synchronization context installed on a <see cref="TaskletLoop"/>'s thread: every <c>await</c> in a tasklet body
/// resumes on the loop thread, as that tasklet (<see cref="Tasklet.Current"/>). One instance per tasklet, plus one for
/// the loop's own work.
/// </summary>
internal sealed class TaskletSynchronizationContext(TaskletLoop loop, Tasklet? tasklet) : SynchronizationContext
{
    public TaskletLoop Loop => loop;

    public Tasklet? Tasklet => tasklet;

    /// <summary>Queues <paramref name="d"/> on the loop. Once the loop has ended (every tasklet finished), a late
    /// continuation runs on the thread pool rather than being lost.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!loop.Enqueue(new WorkItem(WorkKind.Callback, tasklet, d, state)))
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
        }
    }

    /// <summary>Runs <paramref name="d"/> at once on the loop thread; from another thread, queues it and blocks until
    /// it ran (the synchronous contract of <see cref="SynchronizationContext.Send"/>), rethrowing its exception.</summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (loop.IsLoopThread)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        Exception? error = null;
        Post(_ =>
        {
            try
            {
                d(state);
            }
            catch (Exception ex)
            {
                error = ex;
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait(); // Send's documented synchronous contract; never on the loop thread (handled above), so no deadlock
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
