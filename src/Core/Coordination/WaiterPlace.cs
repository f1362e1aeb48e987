namespace Steward.Coordination;

/// <summary>Where a <see cref="LockWaiter"/> is. Guarded by its lock's gate.</summary>
internal enum WaiterPlace : byte
{
    /// <summary>Not queued yet.</summary>
    None,

    /// <summary>In the lock's queue, waiting to be handed the lock.</summary>
    LockQueue,

    /// <summary>In a condition's queue, waiting for a notification (then it moves to the lock's queue).</summary>
    ConditionQueue,

    /// <summary>Handed the lock: it completes (or has completed) holding it.</summary>
    Granted,

    /// <summary>A plain acquirer cancelled while queued: it completes cancelled without the lock.</summary>
    Withdrawn,
}
