using System.Runtime.InteropServices;
using Steward;

namespace Steward.TestChild;

/// <summary>
/// RunState.CatchSignals against real SIGINTs: the first cancels the RunState; after the scope is disposed only
/// the handler that was there before gets the second one; once that is gone too, the third one kills the process.
/// </summary>
internal static class CatchSignalsScenario
{
    public static async Task<int> RunAsync()
    {
        var previousHandled = new SemaphoreSlim(0);
        var previous = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            previousHandled.Release();
        });

        var runState = new RunState("child");
        runState.Start();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runState.Cancelled += _ => cancelled.TrySetResult();
        using (runState.CatchSignals(PosixSignal.SIGINT))
        {
            Say("ready");
            await cancelled.Task;
            await previousHandled.WaitAsync(); // every registration sees a signal: the earlier one ran as well
            Say($"cancelled status={runState.Status} token={runState.Token.IsCancellationRequested}");
        }

        runState.Stop();
        runState.Start();
        Say("restored");
        await previousHandled.WaitAsync();
        Say($"previous-handler cancelled={runState.IsCancelled}");

        previous.Dispose();
        Say("default");
        await Task.Delay(Timeout.Infinite); // the next SIGINT terminates the process
        return 0;
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }
}
