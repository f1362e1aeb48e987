namespace Steward;

public abstract partial class MultiOpen
{
    // Tickets: a grow-only array of reusable slots, one held per live open (see OpenTicket). Grown under _lock,
    // read without it. _ticketHint is a racy guess at a free slot: a wrong guess only costs a longer scan.
    private OpenTicket[] _tickets = [];
    private int _ticketHint;

    // Moves on at every final close (under _lock): a lease whose ticket was stolen in an earlier cycle is void.
    private long _generation;

    /// <summary>
    /// The call sites ("File.cs:42 Member") of the live opens, for leak reports. Approximate while opens and closes
    /// race with the read, and after <see cref="Close"/> calls (which end some live open's site, not a chosen one, until
    /// the lease of a wrongly chosen one is disposed).
    /// </summary>
    public IReadOnlyList<string> OpenSites
    {
        get
        {
            var sites = new List<string>();
            foreach (var ticket in Volatile.Read(ref _tickets))
            {
                if (ticket.IsHeld)
                {
                    sites.Add(ticket.Site.ToString());
                }
            }

            return sites;
        }
    }

    /// <summary>How many ticket slots exist (for tests: they grow with the opens alive at once, not with all opens).</summary>
    internal int TicketSlots => Volatile.Read(ref _tickets).Length;

    /// <summary>Closes the open <paramref name="ticket"/> was claimed for, unless that already happened.</summary>
    internal ValueTask CloseLeaseAsync(OpenTicket ticket, long version)
    {
        var site = ticket.Site; // read before releasing: the ticket may be claimed again at once
        if (Interlocked.CompareExchange(ref ticket.Version, version + 1, version) == version)
        {
            _ticketHint = ticket.Index;

            // unopenedOk: a held ticket was counted, so a zero count here means DisposeAsync closed everything meanwhile.
            return CloseCoreAsync(new Closer(site, ByLease: true), enforceFinalClose: false, unopenedOk: true, stealFor: null);
        }

        // Else, if a lease-less Close() stole this ticket, this lease's open is still counted (that close ended another
        // open, whose discarded lease still holds a slot): close it now, once, and release a slot for that other open.
        // A steal from an earlier cycle is void: that cycle's final close ended every open of it.
        if (Volatile.Read(ref ticket.Version) != -version
            || Volatile.Read(ref ticket.StolenGeneration) != Volatile.Read(ref _generation)
            || Interlocked.CompareExchange(ref ticket.Version, OpenTicket.Dead, -version) != -version)
        {
            return default; // this lease closed already, or the final close ended its cycle
        }

        // The slot freed for it is chosen as that close would have chosen it: by the lease-less close's own site.
        return CloseCoreAsync(new Closer(site, ByLease: true), enforceFinalClose: false, unopenedOk: true,
            stealFor: ticket.StolenFor);
    }

    /// <summary>Whether the lease issued with <paramref name="version"/> on <paramref name="ticket"/> has yet to close its
    /// open.</summary>
    internal bool IsLeaseActive(OpenTicket ticket, long version)
    {
        var seen = Volatile.Read(ref ticket.Version);
        return seen == version
               || (seen == -version && Volatile.Read(ref ticket.StolenGeneration) == Volatile.Read(ref _generation));
    }

    /// <summary>Closes synchronously; see <see cref="CloseLeaseAsync"/>.</summary>
    internal void CloseLease(OpenTicket ticket, long version) => WaitSynchronously(CloseLeaseAsync(ticket, version));

    private OpenLease IssueLease(CallSite site)
    {
        var ticket = ClaimTicket(out var version);
        ticket.Site = site;
        return new OpenLease(ticket, version);
    }

    private OpenTicket ClaimTicket(out long version)
    {
        while (true)
        {
            var tickets = Volatile.Read(ref _tickets);
            var count = tickets.Length;
            var hint = _ticketHint; // read once: other threads move it
            var index = (uint)hint < (uint)count ? hint : 0;
            for (var scanned = 0; scanned < count; scanned++)
            {
                var ticket = tickets[index];
                var seen = Volatile.Read(ref ticket.Version);
                if ((seen & 1) == 0 && Interlocked.CompareExchange(ref ticket.Version, seen + 1, seen) == seen)
                {
                    _ticketHint = index + 1 == count ? 0 : index + 1;
                    version = seen + 1;
                    return ticket;
                }

                index = index + 1 == count ? 0 : index + 1;
            }

            lock (_lock)
            {
                if (!ReferenceEquals(tickets, _tickets))
                {
                    continue; // another thread grew the array meanwhile: scan its new slots first
                }

                var grown = new OpenTicket[Math.Max(4, count * 2)];
                Array.Copy(tickets, grown, count);
                for (var i = count; i < grown.Length; i++)
                {
                    grown[i] = new OpenTicket(this, i);
                }

                var claimed = grown[count];
                claimed.Version = 1; // not yet published, so no other thread can race for it
                _ticketHint = count + 1;
                Volatile.Write(ref _tickets, grown);
                version = 1;
                return claimed;
            }
        }
    }

    /// <summary>
    /// For a <see cref="Close"/> without a lease, which cannot say which open it ends: steal one held ticket, so held
    /// tickets stay as many as the opens (and a loop of Open ... Close pairs keeps reusing its slots). It prefers a ticket
    /// opened from the closer's own file and member (the usual pair in one method, whose lease was discarded), newest first.
    /// </summary>
    /// <remarks>
    /// A stolen ticket leaves the array (a fresh ticket takes its slot) and keeps, in its <see cref="OpenTicket.Version"/>,
    /// that it was stolen from the lease issued with the version it had. If the guess was wrong and that lease is alive,
    /// its dispose still closes its open, once, and then steals a slot for the open whose lease was really discarded: the
    /// count is right whatever the guess, and only <see cref="OpenSites"/> can be off meanwhile. The stolen ticket is
    /// garbage once no copy of its lease is left. Allocates one ticket a steal: lease-less closes are the slow path.
    /// </remarks>
    /// <param name="closer">The site of the lease-less close the steal is for.</param>
    /// <param name="generation">The cycle the close belongs to, read before its count moved: a close that raced a final
    /// close and the next cycle's startup must not steal a ticket of the new cycle (it would leave that cycle one ticket
    /// short). If it misses a steal it should have made instead, a ticket stays held until the next final close.</param>
    private void ReleaseTicketFor(CallSite closer, long generation)
    {
        // Under the lock, as the array's growth is: a slot replaced while the array is copied would be lost.
        lock (_lock)
        {
            if (_generation != generation)
            {
                return; // the cycle this close belonged to has ended: its final close released every ticket
            }

            var tickets = _tickets;
            _ = TrySteal(tickets, closer, sameSiteOnly: true) || TrySteal(tickets, closer, sameSiteOnly: false);
        }
    }

    private bool TrySteal(OpenTicket[] tickets, CallSite closer, bool sameSiteOnly)
    {
        for (var i = tickets.Length - 1; i >= 0; i--)
        {
            var ticket = tickets[i];
            var seen = Volatile.Read(ref ticket.Version);
            if (seen <= 0 || (seen & 1) == 0)
            {
                continue;
            }

            // The site is written just after the claim and read racily here: at worst a pair is not recognised.
            var site = ticket.Site;
            if (sameSiteOnly && !(string.Equals(site.File, closer.File, StringComparison.Ordinal)
                                  && string.Equals(site.Member, closer.Member, StringComparison.Ordinal)))
            {
                continue;
            }

            // Invariant: the generation is written before the steal is published, so a lease that finds its ticket
            // stolen always finds the cycle it was stolen in. The compare-and-swap races only the lease's own dispose.
            Volatile.Write(ref ticket.StolenGeneration, _generation);
            ticket.StolenFor = closer;
            if (Interlocked.CompareExchange(ref ticket.Version, -seen, seen) == seen)
            {
                Volatile.Write(ref tickets[i], new OpenTicket(this, i));
                _ticketHint = i;
                return true;
            }
        }

        return false;
    }

    /// <summary>At the final close (under the lock): every held ticket is released and the generation moves on, so the
    /// leases still out, stolen ones included, become no-ops.</summary>
    private void ReleaseAllTickets()
    {
        Volatile.Write(ref _generation, _generation + 1);
        foreach (var ticket in _tickets)
        {
            long seen;
            while ((seen = Volatile.Read(ref ticket.Version)) > 0 && (seen & 1) != 0
                   && Interlocked.CompareExchange(ref ticket.Version, seen + 1, seen) != seen)
            {
            }
        }
    }
}
