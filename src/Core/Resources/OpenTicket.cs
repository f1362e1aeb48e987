namespace Steward;

/// <summary>
/// A reusable slot that makes one <see cref="OpenLease"/> close once and records its open site, without
/// allocating per open. Owned by one <see cref="MultiOpen"/>; see <c>MultiOpen.Leases.cs</c>.
/// </summary>
internal sealed class OpenTicket(MultiOpen owner, int index)
{
    /// <summary>The <see cref="Version"/> of a stolen ticket once its lease has closed its open: never claimable, never
    /// a lease's version (odd and negative, and no lease version is <see cref="long.MaxValue"/>).</summary>
    public const long Dead = long.MinValue + 1;

    /// <summary>The resource this ticket belongs to.</summary>
    public readonly MultiOpen Owner = owner;

    /// <summary>The ticket's slot in its owner's ticket array.</summary>
    public readonly int Index = index;

    /// <summary>
    /// Positive and odd while an open holds the ticket, non-negative and even while it is free; every claim and every
    /// release adds one with a compare-and-swap, so a lease (which remembers the odd value it was issued with) releases
    /// at most once, and a stale lease can never release a later holder's claim. Negative once stolen: <c>-v</c> when a
    /// lease-less <see cref="MultiOpen.Close"/> took the slot of the lease issued with <c>v</c> (the ticket is then out of
    /// the array, kept only by that lease's copies), <see cref="Dead"/> once that lease has closed its open. Every negative
    /// value is odd, so a claimer that still sees a stolen ticket never takes it.
    /// </summary>
    public long Version;

    /// <summary>The owner's cycle generation when the ticket was stolen: a stolen lease of an earlier cycle is void.
    /// Written before the steal is published by <see cref="Version"/>.</summary>
    public long StolenGeneration;

    /// <summary>The site of the lease-less close that stole the ticket: if the lease was alive after all, its dispose
    /// frees a slot as that close would have. Written before the steal is published.</summary>
    public CallSite StolenFor;

    /// <summary>The site of the holder's open. Written by the claimer after claiming; read racily by
    /// <see cref="MultiOpen.OpenSites"/>, which is diagnostics only.</summary>
    public CallSite Site;

    /// <summary>Whether an open holds the ticket now (a stolen ticket is out of the array and never counted).</summary>
    public bool IsHeld => Volatile.Read(ref Version) is var version && version > 0 && (version & 1) != 0;
}
