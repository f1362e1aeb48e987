using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// The package's <see cref="ISystemdNotifier"/>, with one datagram socket for the whole process instead of one per
/// notification: READY, STATUS, WATCHDOG (every few hundred milliseconds) and the rest all go through it. A socket that
/// cannot be reached (NOTIFY_SOCKET points nowhere, or at something that is not a datagram socket) is reported once, as a
/// warning, and never stops the service.
/// </summary>
[UnsupportedOSPlatform("browser")]
internal sealed class StewardSystemdNotifier(string? socketPath, ILogger logger) : ISystemdNotifier, IDisposable
{
    private readonly Lock _lock = new();
    private Socket? _socket;
    private bool _warned;
    private bool _disposed;

    public bool IsEnabled => socketPath is not null;

    public void Notify(ServiceState state) => Notify(state.ToString());

    /// <summary>Sends one notification (several <c>KEY=value</c> lines in one datagram); false if it could not be sent.</summary>
    public bool Notify(string state)
    {
        if (socketPath is null)
        {
            return false;
        }

        var datagram = Encoding.UTF8.GetBytes(state);
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                if (_socket is null)
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                    try
                    {
                        // "@name" is an abstract socket: its first byte is NUL on the wire.
                        socket.Connect(new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath));
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }

                    _socket = socket;
                }

                _socket.Send(datagram);
                return true;
            }
            catch (Exception ex) when (ex is SocketException or IOException or ArgumentException or ObjectDisposedException)
            {
                _socket?.Dispose();
                _socket = null; // the next notification tries again (systemd may have been restarted)
                if (!_warned)
                {
                    _warned = true;
                    SystemdLog.NotifySocketUnreachable(logger, socketPath, ex.Message);
                }

                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _socket?.Dispose();
            _socket = null;
        }
    }
}
