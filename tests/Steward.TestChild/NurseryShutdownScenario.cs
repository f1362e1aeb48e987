using Steward.Nurseries;

namespace Steward.TestChild;

/// <summary>
/// TaskNursery.AddShutdownHandling in a console program: a SIGTERM (or SIGINT/SIGHUP) closes the registered nurseries
/// (cancelling their children and disposing their resources) and Main returns normally, exit code 0.
/// </summary>
internal static class NurseryShutdownScenario
{
    public static async Task<int> RunAsync()
    {
        using var shutdown = TaskNursery.AddShutdownHandling();
        var first = new TaskNursery("first");
        var second = new TaskNursery("second");
        await first.EnterAsync(new Resource("first-resource"));
        await second.EnterAsync(new Resource("second-resource"));
        var started = new CountdownEvent(2);
        foreach (var nursery in new[] { first, second })
        {
            _ = nursery.Start(async token =>
            {
                started.Signal();
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                    Say($"child of {nursery.Name} cancelled");
                    throw;
                }
            });
        }

        started.Wait();
        Say("ready");
        await Task.WhenAll(first.Completion, second.Completion);
        Say("closed");
        return 0;
    }

    private static void Say(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }

    private sealed class Resource(string name) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Say($"disposed {name}");
            return ValueTask.CompletedTask;
        }
    }
}
