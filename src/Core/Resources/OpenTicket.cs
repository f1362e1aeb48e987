namespace Steward;

/// <summary>
/// A reusable slot that makes one <see cref="OpenLease"/> close once and records its open site, without
/// allocating per open. Owned by one <see cref="MultiOpen"/>; see <c>MultiOpen.Leases.cs</c>.
/// </summary>
internal sealed class OpenTicket(MultiOpen owner, int index)
{
    /// <summary>The resource this ticket belongs to.</summary>
    public readonly MultiOpen Owner = owner;

    /// <summary>The ticket's slot in its owner's ticket array.</summary>
    public readonly int Index = index;

    /// <summary>
    /// Odd while an open holds the ticket, even while free; every claim and every release adds one with a
    /// compare-and-swap, so a lease (which remembers the odd value it was issued with) releases at most once, and
    /// a stale lease can never release a later holder's claim.
    /// </summary>
    public long Version;

    /// <summary>The site of the holder's open. Written by the claimer after claiming; read racily by
    /// <see cref="MultiOpen.OpenSites"/>, which is diagnostics only.</summary>
    public CallSite Site;

    /// <summary>
    /// The held version a lease-less <see cref="MultiOpen.Close"/> released in place of the open it ended (0: none).
    /// Such a close cannot tell a discarded lease from a live one; if it guessed wrong, the live lease finds its version
    /// here when it is disposed, and still closes its open, once. One mark a ticket: a later steal of the same slot
    /// overwrites an unclaimed one (a discarded lease never claims it).
    /// </summary>
    public long StolenVersion;

    /// <summary>Whether an open holds the ticket now.</summary>
    public bool IsHeld => (Volatile.Read(ref Version) & 1) != 0;
}
