using ExeSys.Core.Jobs;
using ExeSys.Core.Resilience;
using ExeSys.Core.Storage;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ExeSys.Core.Redis;

/// <summary>
/// <see cref="IJobNotifications"/> on Redis pub/sub. The wire formats are read here and nowhere else:
/// <list type="bullet">
/// <item>each served queue's wake channel (shared by its workers): <c>1\n&lt;fn&gt;</c> when the lane of fn went from empty to non-empty, or
/// <c>h\n&lt;worker&gt;\n&lt;member&gt;</c> when an enqueue handed a job (already leased) to an idle worker;</item>
/// <item>a worker's own channel (<see cref="RedisKeys.WorkerChannel"/>): <c>member\nto\ncmd\ndata</c>, a job that
/// job_submit.lua started for it (state 2, attempt 1);</item>
/// <item>the stop and cancel channels: the member of the job;</item>
/// <item>the done channel: <see cref="RedisReplies.ReadDoneMessage"/>.</item>
/// </list>
/// Subscriptions live on the process's one multiplexer, which re-subscribes by itself after a reconnect. Messages
/// published while the subscription connection is down are lost (a Redis restart, or <c>CLIENT KILL TYPE pubsub</c>,
/// which drops only that connection). A worker's subscription therefore watches that connection: when it drops, the
/// worker stops waiting for handoffs at once (so enqueues go to the ready queue, not to a worker that cannot hear
/// them), and when it is back the worker hears "queue filled" and claims, which takes what was enqueued meanwhile and
/// waits for handoffs again. A long-poll whose done message was lost falls back to re-reading the job at its timeout.
/// </summary>
public sealed class RedisJobNotifications(IConnectionMultiplexer redis, RedisKeys keys, ILogger<RedisJobNotifications> logger, RedisClock? clock = null) : IJobNotifications
{
    public async Task<IAsyncDisposable> SubscribeWorkerAsync(string workerId, Action<WorkerNotification> handler, IReadOnlyList<string>? queues = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var channels = new List<(RedisChannel, Action<RedisValue>)>();
        foreach (var name in queues ?? [QueueKeys.DefaultName])
        {
            var q = keys.Queue(name);
            channels.Add((q.WakeChannel, message => OnWake(workerId, name, message, handler)));
            channels.Add((q.WorkerChannel(workerId), message => OnStarted(workerId, name, message, handler)));
        }

        channels.Add((keys.CancelChannel, member => handler(new WorkerNotification.CancelRequested(JobRef.Parse(member!)))));
        channels.Add((keys.StopChannel, member => handler(new WorkerNotification.StopRequested(JobRef.Parse(member!)))));
        var subscription = await SubscribeAsync([.. channels]);
        subscription.WatchConnection(
            redis,
            lost: () =>
            {
                logger.LogInformation("Worker {Worker} lost its pub/sub connection: it takes no handoffs until it is back.", workerId);
                handler(WorkerNotification.ConnectionLost.Instance);
            },
            back: () => handler(WorkerNotification.QueueFilled.Instance));
        return subscription;
    }

    public async Task<IAsyncDisposable> SubscribeFinishedAsync(Action<JobFinished> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return await SubscribeAsync((keys.DoneChannel, message =>
        {
            var (job, snapshot) = RedisReplies.ReadDoneMessage(message!);
            handler(new JobFinished(job, snapshot));
        }
        ));
    }

    /// <summary>All the channels or none: a subscribe that fails part-way gives back what it took, so a retry never doubles a handler.</summary>
    private async Task<Subscription> SubscribeAsync(params (RedisChannel Channel, Action<RedisValue> Handler)[] channels)
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

    private static void OnWake(string workerId, string queue, RedisValue message, Action<WorkerNotification> handler)
    {
        var text = (string?)message ?? "";
        if (!text.StartsWith("h\n", StringComparison.Ordinal))
        {
            // '1\n<fn>': the lane of fn went from empty to non-empty.
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            handler(new WorkerNotification.QueueFilled(queue, newline < 0 ? null : text[(newline + 1)..]));
            return;
        }

        // A handoff to another worker is not this worker's business.
        var parts = text.Split('\n', 3);
        if (parts.Length == 3 && parts[1] == workerId)
        {
            handler(new WorkerNotification.HandedOff(JobRef.Parse(parts[2]), queue));
        }
    }

    private void OnStarted(string workerId, string queue, RedisValue message, Action<WorkerNotification> handler)
    {
        // '<member>\n<to>\n<cmd>\n<traceparent>\n<data>' (job_submit.lua); the data may hold newlines.
        var parts = ((string?)message ?? "").Split('\n', 5);
        if (parts.Length != 5)
        {
            logger.LogWarning("Ignoring a malformed message on worker {Worker}'s channel.", workerId);
            return;
        }

        // Started by its submit, in the same script: no wait in the queue, and its submit is (nearly) now, for metrics.
        var now = clock?.NowMs ?? 0;
        handler(new WorkerNotification.Started(new ClaimedJob(JobRef.Parse(parts[0]), 1, parts[1], parts[2], parts[4])
        {
            Queue = queue,
            TraceParent = parts[3],
            StartedMs = now,
            CreatedMs = now,
            ReadyMs = now,
        }));
    }

    /// <summary>The channels one subscriber listens on; disposing unsubscribes them all.</summary>
    private sealed class Subscription(ISubscriber subscriber) : IAsyncDisposable
    {
        private readonly List<(RedisChannel Channel, Action<RedisChannel, RedisValue> Handler)> _channels = [];
        private IConnectionMultiplexer? _watched;
        private EventHandler<ConnectionFailedEventArgs>? _onLost;
        private EventHandler<ConnectionFailedEventArgs>? _onBack;

        /// <summary>Calls <paramref name="lost"/> when the subscription connection drops and <paramref name="back"/> once it is up again.</summary>
        public void WatchConnection(IConnectionMultiplexer redis, Action lost, Action back)
        {
            _watched = redis;
            _onLost = (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Subscription)
                {
                    lost();
                }
            };
            _onBack = (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Subscription)
                {
                    back();
                }
            };
            redis.ConnectionFailed += _onLost;
            redis.ConnectionRestored += _onBack;
        }

        public async Task AddAsync(RedisChannel channel, Action<RedisValue> handler)
        {
            Action<RedisChannel, RedisValue> onMessage = (_, message) => handler(message);
            await subscriber.SubscribeAsync(channel, onMessage);
            _channels.Add((channel, onMessage));
        }

        /// <summary>Unsubscribes every channel, even when one fails (Redis away), then reports the first failure.</summary>
        public async ValueTask DisposeAsync()
        {
            if (_watched is not null)
            {
                _watched.ConnectionFailed -= _onLost;
                _watched.ConnectionRestored -= _onBack;
                _watched = null;
            }

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
