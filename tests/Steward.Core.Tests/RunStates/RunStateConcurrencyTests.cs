using Steward.Tests.Support;

namespace Steward.Tests.RunStates;

[Collection(SerialTestGroup.Name)]
public class RunStateConcurrencyTests
{
    [Fact]
    public async Task Concurrent_cancel_pause_resume_and_checkpoints_never_corrupt_the_state()
    {
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var runState = new RunState($"race-{iteration}");
            runState.Start();
            var cancelledEvents = 0;
            runState.Cancelled += _ => Interlocked.Increment(ref cancelledEvents);
            using var go = new Barrier(4);
            var pauser = Task.Run(() =>
            {
                go.SignalAndWait();
                for (var i = 0; i < 50; i++)
                {
                    try
                    {
                        runState.Pause();
                        runState.Resume();
                    }
                    catch (InvalidRunStateTransitionException)
                    {
                        // cancelled meanwhile: Pause/Resume are refused while Stopping
                    }
                }
            });
            var worker = Task.Run(() =>
            {
                go.SignalAndWait();
                try
                {
                    while (true)
                    {
                        runState.ThrowIfCancelled();
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            var cancellers = Task.Run(() =>
            {
                go.SignalAndWait();
                runState.Cancel();
            });
            go.SignalAndWait();
            runState.Cancel();

            await Task.WhenAll(pauser, worker, cancellers).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(RunStateStatus.Stopping, runState.Status);
            Assert.Equal(1, cancelledEvents);
            Assert.False(runState.IsPaused);
        }
    }
}
