namespace Steward.Hosting;

/// <summary>
/// Every log event id of Steward.Hosting, in one place: the 2000s and 3000s, one hundred per part of the host, never reused (a
/// user's log filter may name them). Steward.Core's are in the 1000s, 4000s and 5000s.
/// </summary>
internal static class StewardEventIds
{
    /// <summary>Workers, their supervisor, the controller and the host nursery (2000s-2400s).</summary>
    public static class Workers
    {
        public const int PausedAll = 2001;
        public const int ResumedAll = 2002;
        public const int Exit = 2003;
        public const int Failed = 2101;
        public const int Restarting = 2102;
        public const int GaveUp = 2103;
        public const int Ended = 2104;
        public const int DisposeFailed = 2105;
        public const int StopHandlersFailed = 2106;
        public const int Started = 2201;
        public const int Disabled = 2202;
        public const int DidNotStop = 2203;
        public const int Stalled = 2204;
        public const int NotStarted = 2205;
        public const int DidNotFinish = 2206;
        public const int DidNotClose = 2401;
        public const int CloseFailure = 2402;
        public const int Renamed = 2403;
    }

    /// <summary>The host's MultiOpen resources (2300s).</summary>
    public static class Resources
    {
        public const int Opened = 2301;
        public const int Leaked = 2302;
        public const int Closed = 2303;
        public const int DidNotClose = 2304;
        public const int CloseFailed = 2305;
    }

    /// <summary>The host lifetime and its signals (2500s).</summary>
    public static class Lifetime
    {
        public const int Started = 2501;
        public const int Stopping = 2502;
        public const int Stopped = 2503;
        public const int StopSignal = 2504;
        public const int ForcedExit = 2505;
        public const int Signal = 2506;
        public const int Reloaded = 2507;
        public const int CannotReload = 2508;
        public const int SignalUnsupported = 2509;
        public const int ReloadFailed = 2510;
        public const int SignalFailed = 2511;
    }

    /// <summary>The host's tasklet loop (2600s).</summary>
    public static class TaskletHosting
    {
        public const int Started = 2601;
        public const int DidNotStop = 2602;
        public const int StopFailed = 2603;
        public const int NotStarted = 2604;
    }

    /// <summary>The host's deferred-call handlers (2700s).</summary>
    public static class DeferredHosting
    {
        public const int Processing = 2701;
        public const int Drained = 2702;
        public const int DidNotDrain = 2703;
        public const int ProcessingFailed = 2704;
    }

    /// <summary>Steward settings (2800s).</summary>
    public static class Settings
    {
        public const int Rejected = 2801;
        public const int StillRejected = 2802;
    }

    /// <summary>Cluster coordination (3000s).</summary>
    public static class Cluster
    {
        public const int Connected = 3001;
        public const int Unreachable = 3002;
        public const int StillUnreachable = 3003;
        public const int Acquired = 3004;
        public const int Lost = 3005;
        public const int Released = 3006;
        public const int GivingUp = 3007;
        public const int LeaveFailed = 3008;
    }

    /// <summary>The systemd integration (2900s).</summary>
    public static class Systemd
    {
        public const int Active = 2901;
        public const int NotifySocketUnreachable = 2902;
        public const int WatchdogWithheld = 2903;
        public const int WatchdogResumed = 2904;
        public const int Ready = 2905;
    }
}
