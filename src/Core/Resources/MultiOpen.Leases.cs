namespace Steward;

public abstract partial class MultiOpen
{
    // Tickets: a grow-only array of reusable slots, one held per live open (see OpenTicket). Grown under _lock,
    // read without it. _ticketHint is a racy guess at a free slot: a wrong guess only costs a longer scan.
    private OpenTicket[] _tickets = [];
    private int _ticketHint;

    /// <summary>
    /// The call sites ("File.cs:42 Member") of the live opens, for leak reports. Approximate while opens and closes
    /// race with the read, and after <see cref="Close"/> calls (which release some live open's site, not a chosen one).
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
        }
        else if (Interlocked.CompareExchange(ref ticket.StolenVersion, 0, version) != version)
        {
            return default; // this lease closed already, or the final close released it
        }

        // Else a lease-less Close() released this ticket for another open: this lease's open is still counted, and
        // taking the mark makes this the one close of it.

        // unopenedOk: a held ticket was counted, so a zero count here means DisposeAsync closed everything meanwhile.
        return CloseCoreAsync(new Closer(site, ByLease: true), enforceFinalClose: false, unopenedOk: true, freeTicket: false);
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
    /// For a <see cref="Close"/> without a lease, which cannot say which open it ends: release one held ticket, so held
    /// tickets stay as many as the opens (and a loop of Open ... Close pairs reuses its slots). It prefers a ticket opened
    /// from the closer's own file and member (the usual pair in one method, whose lease was discarded), then one not
    /// already marked, newest first. The released ticket is marked (<see cref="OpenTicket.StolenVersion"/>), so if its
    /// lease is in fact alive, its dispose still closes its open once: the count is right even when the guess is not,
    /// and only <see cref="OpenSites"/> can be off.
    /// </summary>
    private void ReleaseTicketFor(CallSite closer)
    {
        var tickets = Volatile.Read(ref _tickets);
        _ = TryRelease(tickets, closer, sameSiteOnly: true, unmarkedOnly: false)
            || TryRelease(tickets, closer, sameSiteOnly: false, unmarkedOnly: true)
            || TryRelease(tickets, closer, sameSiteOnly: false, unmarkedOnly: false);
    }

    private bool TryRelease(OpenTicket[] tickets, CallSite closer, bool sameSiteOnly, bool unmarkedOnly)
    {
        for (var i = tickets.Length - 1; i >= 0; i--)
        {
            var ticket = tickets[i];
            var seen = Volatile.Read(ref ticket.Version);
            var mark = Volatile.Read(ref ticket.StolenVersion);
            if ((seen & 1) == 0 || (unmarkedOnly && mark != 0))
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

            // Invariant: the mark is written before the release, so a lease that finds its ticket released always
            // finds the mark too. If the release then fails (the lease closed itself first), the mark is taken back.
            if (Interlocked.CompareExchange(ref ticket.StolenVersion, seen, mark) != mark)
            {
                continue; // another close is marking this ticket
            }

            if (Interlocked.CompareExchange(ref ticket.Version, seen + 1, seen) == seen)
            {
                _ticketHint = i;
                return true;
            }

            Interlocked.CompareExchange(ref ticket.StolenVersion, mark, seen);
        }

        return false;
    }

    /// <summary>At the final close: every held ticket is released and every mark cleared, so the leases still out become
    /// no-ops.</summary>
    private void ReleaseAllTickets()
    {
        foreach (var ticket in Volatile.Read(ref _tickets))
        {
            long seen;
            while (((seen = Volatile.Read(ref ticket.Version)) & 1) != 0
                   && Interlocked.CompareExchange(ref ticket.Version, seen + 1, seen) != seen)
            {
            }

            Volatile.Write(ref ticket.StolenVersion, 0);
        }
    }
}
