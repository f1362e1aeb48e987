using Steward.Deferred;

namespace Steward.Tests.Deferred;

public class CallNameTests
{
    [Theory]
    [InlineData("m => m.Update(x)", "Update")]
    [InlineData("m => m.Count", "Count")]
    [InlineData("(m, ct) => m.SaveAsync(ct)", "SaveAsync")]
    [InlineData("async (m, ct) => await m.SaveAsync(ct)", "SaveAsync")]
    [InlineData("m => m.Update(Compute(x), y)", "Update")]
    [InlineData("m => m.Items.Add(x)", "Add")]
    [InlineData("m => m.Get<int>(id)", "Get")]
    [InlineData("m => m.Items[\"a(b\"].Clear()", "Clear")]
    [InlineData("m => { m.Reset(); }", "Reset")]
    [InlineData("m => { return m.Load(1); }", "Load")]
    [InlineData("static m => m.@event()", "event")]
    [InlineData("UpdateResource", "UpdateResource")]
    [InlineData("an explicit name", "an explicit name")]
    public void A_call_is_named_after_the_method_its_lambda_invokes_or_the_explicit_name(string text, string expected)
    {
        Assert.Equal(expected, CallNames.Resolve(text));
        Assert.Equal(expected, CallNames.Resolve(text)); // cached
    }

    [Fact]
    public void A_missing_name_gets_a_placeholder()
    {
        Assert.Equal("call", CallNames.Resolve(null));
    }

    [Fact]
    public async Task The_compiler_supplies_the_lambda_text()
    {
        var recorder = new Recorder();
        await using var calls = new DeferredCalls<Recorder>(recorder);
        var failures = new List<DeferredCallFailure>();
        calls.OnewayFailed += failures.Add;
        calls.Oneway(target => target.Kaboom());
        calls.Oneway(async (target, token) => await target.RecordSlowlyAsync("never", new CancellationToken(canceled: true)));

        calls.ProcessPending();

        Assert.Equal(["Kaboom", "RecordSlowlyAsync"], failures.Select(f => f.Name));
    }
}
