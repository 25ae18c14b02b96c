using System.Threading.Channels;
using ExeSys.Api.Security;
using ExeSys.Core.Auth;
using ExeSys.Core.Redis;
using StackExchange.Redis;

namespace ExeSys.Api.WebConsole;

/// <summary>
/// Live updates for the console: this API process subscribes once to <see cref="RedisKeys.RunsChannel"/> (at its
/// first viewer) and fans each message out to the connected pages of the run's tenant as a Server-Sent Event. A page
/// then reads what changed with one request, so Redis sees one subscription per API process, not one poll per browser.
/// A slow page loses its oldest unsent events rather than holding memory: the next event brings it up to date.
/// </summary>
public sealed class ConsoleFeed(IConnectionMultiplexer redis, RedisKeys keys, ILogger<ConsoleFeed> logger)
{
    private const int PerViewerBacklog = 256;
    private readonly Lock _gate = new();
    private readonly HashSet<Viewer> _viewers = [];
    private Task? _subscribed;

    public int Viewers
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Count;
            }
        }
    }

    /// <summary>
    /// A page's feed of the runs of its tenant that changed (their job_ids as the tenant knows them), until the page
    /// goes (<paramref name="aborted"/>) or the caller disposes the membership, whichever comes first.
    /// </summary>
    public async Task<Membership> JoinAsync(Caller caller, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(caller);
        await EnsureSubscribedAsync();
        var viewer = new Viewer(caller, Channel.CreateBounded<string>(new BoundedChannelOptions(PerViewerBacklog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }));
        lock (_gate)
        {
            _viewers.Add(viewer);
        }

        return new Membership(this, viewer, aborted);
    }

    private void Leave(Viewer viewer)
    {
        lock (_gate)
        {
            _viewers.Remove(viewer);
        }

        viewer.Events.Writer.TryComplete();
    }

    /// <summary>One page's place in the feed: its events, and leaving (on dispose, or when its request is aborted).</summary>
    public sealed class Membership : IDisposable
    {
        private readonly ConsoleFeed _feed;
        private readonly Viewer _viewer;
        private readonly CancellationTokenRegistration _onAbort;

        internal Membership(ConsoleFeed feed, Viewer viewer, CancellationToken aborted)
        {
            (_feed, _viewer) = (feed, viewer);
            _onAbort = aborted.Register(() => feed.Leave(viewer));
        }

        public ChannelReader<string> Events => _viewer.Events.Reader;

        public void Dispose()
        {
            _onAbort.Dispose();
            _feed.Leave(_viewer);
        }
    }

    private Task EnsureSubscribedAsync()
    {
        lock (_gate)
        {
            return _subscribed ??= SubscribeAsync();
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(keys.RunsChannel, (_, message) => Fan(message.ToString()));
        }
        catch (Exception ex) when (Core.Resilience.RedisFaults.IsRedisFailure(ex))
        {
            // Try again at the next viewer; StackExchange.Redis re-subscribes by itself once it has subscribed.
            lock (_gate)
            {
                _subscribed = null;
            }

            logger.LogWarning("The console's live feed could not subscribe yet: {Reason}", ex.Message);
            throw;
        }
    }

    private void Fan(string storedJobId)
    {
        lock (_gate)
        {
            foreach (var viewer in _viewers)
            {
                if (viewer.Caller.Owns(storedJobId))
                {
                    viewer.Events.Writer.TryWrite(TenantIds.Strip(storedJobId));
                }
            }
        }
    }

    internal sealed record Viewer(Caller Caller, Channel<string> Events);
}
