namespace Steward.Diagnostics;

/// <summary>
/// Every log event id of Steward.Core, in one place: one range per capability, never reused (a user's log filter may
/// name them). Steward.Hosting has its own, in the 2000s.
/// </summary>
internal static class StewardEventIds
{
    /// <summary>TaskNursery (1000s).</summary>
    public static class Nursery
    {
        public const int ChildFailedCancelling = 1001;
        public const int ChildFailedIsolated = 1002;
        public const int ChildFailedHandlerThrew = 1003;
        public const int ClosedWithFailures = 1004;
    }

    /// <summary>DeferredCalls (4000s).</summary>
    public static class Deferred
    {
        public const int OnewayFailed = 4001;
        public const int OnewayFailedHandlerThrew = 4002;
        public const int OnewayRejectedClosed = 4003;
        public const int OnewayRejectedFull = 4004;
        public const int FailedAfterCallerLeft = 4005;
        public const int DroppedAtClose = 4006;
        public const int DrainDeadlinePassed = 4007;
        public const int Drained = 4008;
        public const int AbortCallbacksFailed = 4009;
        public const int CallTokenCallbackFailed = 4010;
    }

    /// <summary>State machines (4100s).</summary>
    public static class StateMachines
    {
        public const int Transitioned = 4101;
        public const int ObserverThrew = 4102;
        public const int Faulted = 4103;
    }

    /// <summary>Tasklets (5000s).</summary>
    public static class Tasklets
    {
        public const int TaskletFailed = 5001;
        public const int TaskletCancelled = 5002;
        public const int MessageDiscarded = 5003;
        public const int MessageForFinishedTasklet = 5004;
        public const int UndeliveredMessages = 5005;
        public const int JoinCallbackFailed = 5006;
        public const int DisarmFailed = 5007;
        public const int WorkItemFailed = 5008;
        public const int StoppingCallbackFailed = 5009;
        public const int UndeliveredAtStop = 5010;
    }
}
