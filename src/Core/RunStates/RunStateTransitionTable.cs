namespace Steward;

/// <summary>
/// The transition table of <see cref="RunState"/>. One place answers
/// "what does event E do in state S", so the state machine, the exception message and the
/// tests cannot disagree.
/// </summary>
internal static class RunStateTransitionTable
{
    internal const int StartEvent = 0, CancelEvent = 1, PauseEvent = 2, ResumeEvent = 3, StopEvent = 4;

    private static readonly string[] s_eventNames =
        [RunStateEvents.Start, RunStateEvents.Cancel, RunStateEvents.Pause, RunStateEvents.Resume, RunStateEvents.Stop];

    private const RunStateStatus X = (RunStateStatus)(-1); // not allowed

    // Rows: the current status (Idle, Running, Paused, Stopping, Stopped). Columns: Start, Cancel, Pause, Resume, Stop.
    // Start on a running RunState is refused here; Start(runningOk: true) turns it into a no-op before looking here.
    private static readonly RunStateStatus[,] s_next =
    {
        /* Idle     */ { RunStateStatus.Running, RunStateStatus.Idle,     X,                     X,                      X },
        /* Running  */ { X,                      RunStateStatus.Stopping, RunStateStatus.Paused, X,                      RunStateStatus.Stopped },
        /* Paused   */ { X,                      RunStateStatus.Stopping, RunStateStatus.Paused, RunStateStatus.Running, RunStateStatus.Stopped },
        /* Stopping */ { X,                      RunStateStatus.Stopping, X,                     X,                      RunStateStatus.Stopped },
        /* Stopped  */ { RunStateStatus.Running, RunStateStatus.Stopped,  X,                     X,                      X },
    };

    internal static string EventName(int evt) => s_eventNames[evt];

    internal static bool TryNext(RunStateStatus from, int evt, out RunStateStatus to)
    {
        to = s_next[(int)from, evt];
        return to != X;
    }

    internal static IEnumerable<string> AllowedEvents(RunStateStatus state)
    {
        for (var evt = 0; evt < s_eventNames.Length; evt++)
        {
            if (state >= RunStateStatus.Idle && state <= RunStateStatus.Stopped && TryNext(state, evt, out _))
            {
                yield return s_eventNames[evt];
            }
        }
    }
}
