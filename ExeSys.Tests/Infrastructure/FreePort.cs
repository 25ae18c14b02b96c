using System.Net;
using System.Net.Sockets;

namespace ExeSys.Tests.Infrastructure;

/// <summary>Free loopback ports. The port is released before the caller binds it, so callers retry if they lose the race.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
