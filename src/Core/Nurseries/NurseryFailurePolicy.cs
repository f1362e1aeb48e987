namespace Steward.Nurseries;

/// <summary>What a <see cref="TaskNursery"/> does when a child fails.</summary>
public enum NurseryFailurePolicy
{
    /// <summary>
    /// The first failure cancels the nursery: every sibling is cancelled, entered resources are unwound, and
    /// <see cref="TaskNursery.Completion"/> faults with the failures (Trio's nursery, Kotlin's <c>coroutineScope</c>).
    /// </summary>
    CancelAll,

    /// <summary>
    /// A failure is logged and raised as <see cref="TaskNursery.ChildFailed"/>; the other children go on and the
    /// nursery's completion does not fault (Kotlin's <c>supervisorScope</c>).
    /// </summary>
    Isolate,
}
