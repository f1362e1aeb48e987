namespace Steward.Tasklets;

/// <summary>What a queued <see cref="WorkItem"/> does on the loop thread.</summary>
internal enum WorkKind : byte
{
    /// <summary>Resume <see cref="WorkItem.Tasklet"/> from its completed wait.</summary>
    Resume,

    /// <summary>Run <see cref="WorkItem.Callback"/>(<see cref="WorkItem.State"/>), as <see cref="WorkItem.Tasklet"/>
    /// (its synchronization context and <see cref="Tasklet.Current"/>) when that is set.</summary>
    Callback,

    /// <summary>Deliver the <see cref="Message"/> in <see cref="WorkItem.State"/> to <see cref="WorkItem.Tasklet"/>.</summary>
    Deliver,
}

/// <summary>One entry of a <see cref="TaskletLoop"/>'s work queue: a struct, so queueing allocates nothing.</summary>
internal readonly struct WorkItem(WorkKind kind, Tasklet? tasklet, SendOrPostCallback? callback, object? state)
{
    public readonly WorkKind Kind = kind;
    public readonly Tasklet? Tasklet = tasklet;
    public readonly SendOrPostCallback? Callback = callback;
    public readonly object? State = state;
}
