using Steward.Diagnostics;

namespace Steward.Nurseries;

// TaskNursery: a child's end, and its failure handled by the nursery's policy.
public partial class TaskNursery
{
    /// <summary>Called by a child once its task has completed; finds its current owner (PopAll may move it).</summary>
    internal static void ChildEnded(NurseryChild child, Exception? failure)
    {
        TaskNursery owner;
        int running;
        bool firstFailure;
        do
        {
            owner = child.Nursery;

            // -1: moved by PopAll between the read and the lock. The failure is recorded before the child stops counting.
            running = owner._children.TryRemove(child, owner, failure, out firstFailure);
        }
        while (running < 0);

        StewardMetrics.NurseryChildren(owner.Name, -1);
        if (failure is not null)
        {
            StewardMetrics.NurseryChildFailed(owner.Name);
            owner.ReportFailure(child, failure);
        }

        if (firstFailure)
        {
            owner.Cancel();
        }

        if (running == 0 && owner._closing)
        {
            owner._drained!.TrySetResult();
        }
    }

    /// <summary>
    /// Records a child's failure under CancelAll; called while the child still counts as running (see
    /// <see cref="NurseryChildren.TryRemove"/>), so no close can complete without it. Returns whether it is the first
    /// failure, which begins the close.
    /// </summary>
    internal bool RecordChildFailure(Exception failure)
    {
        if (_policy != NurseryFailurePolicy.CancelAll)
        {
            return false;
        }

        lock (_failuresLock)
        {
            (_failures ??= []).Add(failure);
        }

        return !_closing;
    }

    private void ReportFailure(NurseryChild child, Exception failure)
    {
        if (_policy == NurseryFailurePolicy.CancelAll)
        {
            NurseryLog.ChildFailedCancelling(_logger, Name, child.Name, failure);
        }
        else
        {
            NurseryLog.ChildFailedIsolated(_logger, Name, child.Name, failure);
        }

        if (ChildFailed is not { } handlers)
        {
            return;
        }

        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
        {
            try
            {
                handler(this, child.Task, failure);
            }
            catch (Exception ex)
            {
                NurseryLog.ChildFailedHandlerThrew(_logger, Name, child.Name, ex);
            }
        }
    }
}
