namespace Steward;

public partial class RunState
{
    /// <summary>
    /// Creates a child RunState: when this RunState is cancelled, every running child is cancelled (and theirs, in
    /// turn), and a child started while this RunState is cancelled is cancelled right after it starts. Cancelling a
    /// child does not touch the parent.
    /// </summary>
    /// <param name="name">The child's name.</param>
    /// <returns>A new Idle RunState sharing this one's <see cref="TimeProvider"/>.</returns>
    public RunState CreateChild(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // A parent that polls passes its poll down, so a child checkpoint notices what only the poll knows.
        var parentPoll = (_flags & PollFlag) != 0 ? () => IsCancelled : (Func<bool>?)null;
        return new RunState(name, _timeProvider, parentPoll, this);
    }

    /// <summary>
    /// Registers a child that has just started; returns whether this parent is cancelled, in which case the child
    /// must cancel itself. Together with Cancel's snapshot of the children (taken under the same lock, after setting
    /// the flag), a child starting concurrently with the parent's cancel is cancelled by one side or the other.
    /// </summary>
    private bool AttachChild(RunState child)
    {
        lock (_lock)
        {
            (_runningChildren ??= []).Add(child);
            return (_flags & CancelledFlag) != 0;
        }
    }

    private void DetachChild(RunState child)
    {
        lock (_lock)
        {
            _runningChildren?.Remove(child);
        }
    }

    /// <summary>Cancels the children snapshotted by <see cref="Cancel"/>, outside any lock.</summary>
    private static void CancelChildren(RunState[]? children, ref List<Exception>? errors)
    {
        if (children is null)
        {
            return;
        }

        foreach (var child in children)
        {
            try
            {
                child.Cancel();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }
    }
}
