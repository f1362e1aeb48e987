using Steward.Testing;

namespace Steward.Tests.Support;

/// <summary>Starts a scenario of tests/Steward.TestChild, built beside these tests.</summary>
internal static class TestChildProcess
{
    public static ChildProcess Start(string scenario, params string[] arguments) =>
        ChildProcess.Start(Path.Combine(AppContext.BaseDirectory, "Steward.TestChild.dll"), [scenario, .. arguments]);
}
