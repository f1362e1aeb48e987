namespace Steward;

/// <summary>
/// One open of a <see cref="MultiOpen"/>; disposing it closes that open, once. Copies of a lease share its one
/// close: whichever copy is disposed first closes, the others do nothing. <c>default(OpenLease)</c> is a no-op.
/// </summary>
/// <remarks>
/// A lease becomes inactive when it is disposed, or when the final close or <see cref="MultiOpen.DisposeAsync"/> ends
/// the cycle it belonged to. Disposing an inactive lease does nothing. A lease-less <see cref="MultiOpen.Close"/> ends an
/// open whose lease was discarded, never a live lease's: the lease still closes its own open when disposed.
/// Synchronous <see cref="Dispose"/> blocks if it makes the final close, until the shutdown has run.
/// </remarks>
public readonly struct OpenLease : IDisposable, IAsyncDisposable, IEquatable<OpenLease>
{
    private readonly OpenTicket? _ticket;
    private readonly long _version;

    internal OpenLease(OpenTicket ticket, long version)
    {
        _ticket = ticket;
        _version = version;
    }

    /// <summary>The resource this lease keeps open; <see langword="null"/> for <c>default(OpenLease)</c>.</summary>
    public MultiOpen? Resource => _ticket?.Owner;

    /// <summary>Where this lease's open was made, as <see cref="MultiOpen.OpenSites"/> lists it ("File.cs:42 Member"), so
    /// that a holder can tell its own open from the others in a leak report; <see langword="null"/> for
    /// <c>default(OpenLease)</c>. Meaningful while the lease <see cref="IsActive"/>.</summary>
    public string? Site => _ticket?.Site.ToString();

    /// <summary><see langword="true"/> until this lease's open has been closed, by whatever means.</summary>
    public bool IsActive => _ticket is { } ticket && ticket.Owner.IsLeaseActive(ticket, _version);

    /// <summary>Whether two leases are the same open.</summary>
    /// <param name="left">A lease.</param>
    /// <param name="right">Another lease.</param>
    /// <returns><see langword="true"/> if they are the same open.</returns>
    public static bool operator ==(OpenLease left, OpenLease right) => left.Equals(right);

    /// <summary>Whether two leases are different opens.</summary>
    /// <param name="left">A lease.</param>
    /// <param name="right">Another lease.</param>
    /// <returns><see langword="true"/> if they are different opens.</returns>
    public static bool operator !=(OpenLease left, OpenLease right) => !left.Equals(right);

    /// <summary>Closes this open, unless it is closed already.</summary>
    public void Dispose()
    {
        if (_ticket is { } ticket)
        {
            ticket.Owner.CloseLease(ticket, _version);
        }
    }

    /// <summary>Closes this open, unless it is closed already; awaits the shutdown if this is the final close.</summary>
    /// <returns>A task that completes when the close (and any shutdown) is done.</returns>
    public ValueTask DisposeAsync() => _ticket is { } ticket ? ticket.Owner.CloseLeaseAsync(ticket, _version) : default;

    /// <inheritdoc/>
    public bool Equals(OpenLease other) => ReferenceEquals(_ticket, other._ticket) && _version == other._version;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is OpenLease other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_ticket, _version);

    /// <inheritdoc/>
    public override string ToString() =>
        _ticket is { } ticket ? $"OpenLease of '{ticket.Owner.Name}' from {ticket.Site}{(IsActive ? "" : " (closed)")}" : "OpenLease (none)";
}
