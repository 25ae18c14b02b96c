using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IJobNotifications"/> on Redis pub/sub. The wire formats are read here and nowhere else:
/// <list type="bullet">
/// <item>the wake channel (shared by all workers): <c>1</c> when the ready queue went from empty to non-empty, or
/// <c>h\n&lt;worker&gt;\n&lt;member&gt;</c> when an enqueue handed a job (already leased) to an idle worker;</item>
/// <item>a worker's own channel (<see cref="RedisKeys.WorkerChannel"/>): <c>member\nto\ncmd\ndata</c>, a job that
/// job_submit.lua started for it (state 2, attempt 1);</item>
/// <item>the stop and cancel channels: the member of the job;</item>
/// <item>the done channel: <see cref="RedisReplies.ReadDoneMessage"/>.</item>
/// </list>
/// Subscriptions live on the process's one multiplexer, which re-subscribes by itself after a reconnect.
/// </summary>
public sealed class RedisJobNotifications(IConnectionMultiplexer redis, RedisKeys keys, ILogger<RedisJobNotifications> logger) : IJobNotifications
{
    public Task<IAsyncDisposable> SubscribeWorkerAsync(string workerId, Action<WorkerNotification> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeAsync(
            (keys.WakeChannel, message => OnWake(workerId, message, handler)),
            (keys.WorkerChannel(workerId), message => OnStarted(workerId, message, handler)),
            (keys.CancelChannel, member => handler(new WorkerNotification.CancelRequested(JobRef.Parse(member!)))),
            (keys.StopChannel, member => handler(new WorkerNotification.StopRequested(JobRef.Parse(member!)))));
    }

    public Task<IAsyncDisposable> SubscribeFinishedAsync(Action<JobFinished> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeAsync((keys.DoneChannel, message =>
        {
            var (job, snapshot) = RedisReplies.ReadDoneMessage(message!);
            handler(new JobFinished(job, snapshot));
        }
        ));
    }

    /// <summary>All the channels or none: a subscribe that fails part-way gives back what it took, so a retry never doubles a handler.</summary>
    private async Task<IAsyncDisposable> SubscribeAsync(params (RedisChannel Channel, Action<RedisValue> Handler)[] channels)
    {
        var subscription = new Subscription(redis.GetSubscriber());
        try
        {
            foreach (var (channel, handler) in channels)
            {
                await subscription.AddAsync(channel, handler);
            }
        }
        catch
        {
            await subscription.DisposeAsync();
            throw;
        }

        return subscription;
    }

    private static void OnWake(string workerId, RedisValue message, Action<WorkerNotification> handler)
    {
        var text = (string?)message ?? "";
        if (!text.StartsWith("h\n", StringComparison.Ordinal))
        {
            handler(WorkerNotification.QueueFilled.Instance);
            return;
        }

        // A handoff to another worker is not this worker's business.
        var parts = text.Split('\n', 3);
        if (parts.Length == 3 && parts[1] == workerId)
        {
            handler(new WorkerNotification.HandedOff(JobRef.Parse(parts[2])));
        }
    }

    private void OnStarted(string workerId, RedisValue message, Action<WorkerNotification> handler)
    {
        var parts = ((string?)message ?? "").Split('\n', 4);
        if (parts.Length != 4)
        {
            logger.LogWarning("Ignoring a malformed message on worker {Worker}'s channel.", workerId);
            return;
        }

        handler(new WorkerNotification.Started(new ClaimedJob(JobRef.Parse(parts[0]), 1, parts[1], parts[2], parts[3])));
    }

    /// <summary>The channels one subscriber listens on; disposing unsubscribes them all.</summary>
    private sealed class Subscription(ISubscriber subscriber) : IAsyncDisposable
    {
        private readonly List<(RedisChannel Channel, Action<RedisChannel, RedisValue> Handler)> _channels = [];

        public async Task AddAsync(RedisChannel channel, Action<RedisValue> handler)
        {
            Action<RedisChannel, RedisValue> onMessage = (_, message) => handler(message);
            await subscriber.SubscribeAsync(channel, onMessage);
            _channels.Add((channel, onMessage));
        }

        /// <summary>Unsubscribes every channel, even when one fails (Redis away), then reports the first failure.</summary>
        public async ValueTask DisposeAsync()
        {
            Exception? failed = null;
            foreach (var (channel, handler) in _channels)
            {
                try
                {
                    await subscriber.UnsubscribeAsync(channel, handler);
                }
#pragma warning disable CA1031 // Every channel is given back; the first failure is reported after.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    failed ??= ex;
                }
            }

            _channels.Clear();
            if (failed is not null)
            {
                throw failed;
            }
        }
    }
}
