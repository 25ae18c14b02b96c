using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster of three masters on loopback, the 16384 slots split between them, for the tests that show
/// ExeSys's keys and scripts work on a cluster: a script whose keys are in two slots, or that touches a key another
/// node serves, fails there.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly List<RedisServer> _nodes;
    private readonly List<int> _busPorts;

    private RedisCluster(List<RedisServer> nodes, List<int> busPorts) => (_nodes, _busPorts) = (nodes, busPorts);

    /// <summary>The StackExchange.Redis configuration string naming every node.</summary>
    public string Connection => string.Join(",", _nodes.Select(n => n.Endpoint));

    public static async Task<RedisCluster> StartAsync(TimeSpan timeout)
    {
        var nodes = new List<RedisServer>();
        var busPorts = new List<int>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // The cluster bus gets a free port of its own (by default it is port + 10000, which may not be free).
                var busPort = FreePort.Next();
                nodes.Add(await RedisServer.StartAsync(timeout, _ =>
                [
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                    "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture),
                ]));
                busPorts.Add(busPort);
            }

            var cluster = new RedisCluster(nodes, busPorts);
            await cluster.FormAsync(timeout);
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    private async Task FormAsync(TimeSpan timeout)
    {
        const int Slots = 16384;
        var connections = new List<ConnectionMultiplexer>();
        try
        {
            foreach (var node in _nodes)
            {
                connections.Add(await ConnectionMultiplexer.ConnectAsync($"{node.Endpoint},allowAdmin=true"));
            }

            for (var i = 0; i < _nodes.Count; i++)
            {
                var (first, last) = (Slots * i / _nodes.Count, (Slots * (i + 1) / _nodes.Count) - 1);
                await connections[i].GetDatabase().ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", first, last);
                if (i > 0)
                {
                    await connections[0].GetDatabase().ExecuteAsync("CLUSTER", "MEET", "127.0.0.1", _nodes[i].Port, _busPorts[i]);
                }
            }

            var clock = Stopwatch.StartNew();
            while (true)
            {
                var states = await Task.WhenAll(connections.Select(async c => (string)(await c.GetDatabase().ExecuteAsync("CLUSTER", "INFO"))!));
                if (states.All(s => s.Contains("cluster_state:ok", StringComparison.Ordinal) && s.Contains($"cluster_known_nodes:{_nodes.Count}", StringComparison.Ordinal)))
                {
                    return;
                }

                if (clock.Elapsed > timeout)
                {
                    throw new InvalidOperationException($"The Redis Cluster did not form in {timeout}: {string.Join(" | ", states.Select(s => s.Split('\n')[0].Trim()))}");
                }

                await Task.Delay(50);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
