using System.Runtime.CompilerServices;
using Steward.Coordination;

namespace Steward.Tests.Coordination;

public class RegistryTests
{
    [Fact]
    public void An_unreferenced_entry_disappears_after_a_full_GC()
    {
        var registry = new Registry<object>("things");
        var kept = new object();
        registry.Register("kept", kept);
        RegisterUnreferenced(registry, "dropped");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(registry.TryGet("dropped", out _));
        Assert.True(registry.TryGet("kept", out var found));
        Assert.Same(kept, found);
        Assert.Equal(["kept"], registry.Snapshot().Keys);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void A_duplicate_live_key_throws_naming_the_registry_and_the_key()
    {
        var registry = new Registry<string>("names");
        var first = new string('a', 3);
        registry.Register("x", first);

        var error = Assert.Throws<ArgumentException>(() => registry.Register("x", "other"));

        Assert.Contains("Registry 'names'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
        Assert.True(registry.Unregister("x", first));
        registry.Register("x", "other"); // free again
        GC.KeepAlive(first);
    }

    [Fact]
    public void Unregister_only_removes_the_entry_of_the_given_item()
    {
        var registry = new Registry<object>();
        var item = new object();
        registry.Register("k", item);
        Assert.False(registry.Unregister("k", new object()));
        Assert.True(registry.TryGet("k", out _));
        Assert.True(registry.Unregister("k", item));
        Assert.Empty(registry.Snapshot());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RegisterUnreferenced(Registry<object> registry, string key) => registry.Register(key, new object());
}
