using System.Collections.Concurrent;
using System.Reflection;
using Xunit.Sdk;

namespace Steward.Tests.Support;

/// <summary>
/// Fails a test when a task exception nobody observed surfaces (<see cref="TaskScheduler.UnobservedTaskException"/>):
/// after each test, a full collection runs the finalizers of the tasks it dropped, and whatever they reported fails it.
/// Applied to every test assembly, so every test class fails on unobserved task exceptions. Tests of other classes run
/// in parallel, so the failing test is the one after which the exception surfaced, not always the one that dropped it;
/// the message carries the exception, whose stack names its origin.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class FailOnUnobservedTaskExceptionsAttribute : BeforeAfterTestAttribute
{
    private static readonly ConcurrentQueue<Exception> s_unobserved = new();

    static FailOnUnobservedTaskExceptionsAttribute() =>
        TaskScheduler.UnobservedTaskException += static (_, e) => s_unobserved.Enqueue(e.Exception);

    /// <inheritdoc/>
    public override void After(MethodInfo methodUnderTest)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var seen = new List<Exception>();
        while (s_unobserved.TryDequeue(out var exception))
        {
            seen.Add(exception);
        }

        if (seen.Count > 0)
        {
            throw new XunitException(
                $"{seen.Count} unobserved task exception(s) surfaced after {methodUnderTest.DeclaringType?.Name}.{methodUnderTest.Name}:"
                + Environment.NewLine + string.Join(Environment.NewLine, seen));
        }
    }
}
