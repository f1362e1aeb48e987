using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>
/// A Unix datagram socket standing in for systemd's notification socket: bound to a path, or to an abstract name
/// (<c>@name</c> in NOTIFY_SOCKET), it keeps every datagram a child sends with when it arrived.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly ConcurrentQueue<(TimeSpan At, string Text)> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _reader;
    private readonly string? _path;

    public NotifySocket(bool isAbstract)
    {
        if (isAbstract)
        {
            var name = $"steward-test-{Guid.NewGuid():N}";
            _socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            Address = "@" + name;
        }
        else
        {
            _path = Path.Combine(Path.GetTempPath(), $"steward-notify-{Guid.NewGuid():N}.sock");
            _socket.Bind(new UnixDomainSocketEndPoint(_path));
            Address = _path;
        }

        _reader = new Thread(Read) { IsBackground = true, Name = "notify socket" };
        _reader.Start();
    }

    /// <summary>What NOTIFY_SOCKET says.</summary>
    public string Address { get; }

    /// <summary>Every datagram so far, in arrival order.</summary>
    public IReadOnlyList<(TimeSpan At, string Text)> Received => [.. _received];

    /// <summary>The datagrams so far, one line each ("READY=1|STATUS=...").</summary>
    public string Log => string.Join('\n', Received.Select(r => $"{r.At.TotalMilliseconds:0} ms: {r.Text.Replace('\n', '|')}"));

    /// <summary>Waits for a datagram with a line equal to, or starting with, <paramref name="line"/>; returns its index.</summary>
    public async Task<int> WaitForAsync(string line, int after = -1, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var received = Received;
            for (var i = after + 1; i < received.Count; i++)
            {
                if (Has(received[i].Text, line))
                {
                    return i;
                }
            }

            try
            {
                await _arrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no '{line}' arrived. Datagrams:\n{Log}");
            }
        }
    }

    /// <summary>Whether one of the datagram's lines is <paramref name="line"/> (or starts with it, if it ends in '=').</summary>
    public static bool Has(string datagram, string line) =>
        datagram.Split('\n').Any(l => line.EndsWith('=') ? l.StartsWith(line, StringComparison.Ordinal) : l == line);

    public void Dispose()
    {
        _socket.Dispose(); // ends the reader
        if (_path is not null)
        {
            File.Delete(_path);
        }
    }

    private void Read()
    {
        var buffer = new byte[4096];
        while (true)
        {
            int length;
            try
            {
                length = _socket.Receive(buffer);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            _received.Enqueue((_clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, length)));
            _arrived.Release();
        }
    }
}
