using System.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// A scoped lease on a <see cref="MultiOpen"/> singleton registered with <c>AddMultiOpen&lt;T&gt;()</c>: resolving it in a
/// DI scope adds one open, disposing the scope closes it. Its open site (for leak reports at host stop) is the first
/// caller outside Steward and the .NET libraries on the stack when it was resolved.
/// </summary>
/// <typeparam name="T">The resource type.</typeparam>
[DebuggerDisplay("Opened<{typeof(T).Name,nq}>: {Value}")]
public sealed class Opened<T> : IDisposable
    where T : MultiOpen
{
    private readonly OpenLease _lease;

    /// <summary>Opens <paramref name="value"/> (DI calls this when the scope resolves it).</summary>
    /// <param name="value">The resource.</param>
    public Opened(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        var site = OpenSiteCapture.FromStack();
        _lease = value.Open(site.File, site.Line, site.Member);
    }

    /// <summary>The open resource.</summary>
    public T Value { get; }

    /// <summary>Closes this scope's open (once).</summary>
    public void Dispose() => _lease.Dispose();
}
