using System.Collections.Concurrent;
using ExeSys.Core.Jobs;
using ExeSys.Core.Storage;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// Lets a request wait for a job to finish (long-poll) without polling Redis. The API subscribes once to finished
/// jobs (<see cref="IJobNotifications.SubscribeFinishedAsync"/>); a submit or read with a wait marks the job as
/// watched, and only such jobs are announced when they finish. A single job's notification carries the finished job
/// itself, so the waiting request answers without reading it again. Pub/sub is best effort, so a waiter that hears nothing still re-reads the job when its time is up.
/// </summary>
public sealed class CompletionWaiter(IJobNotifications notifications, ILogger<CompletionWaiter> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Waiter> _waiters = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The multiplexer re-subscribes by itself after a reconnect; only the first subscribe needs retrying.
        var warned = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Held for the process's lifetime: the API listens until it stops.
                _ = await notifications.SubscribeFinishedAsync(Signal);
                return;
            }
#pragma warning disable CA1031 // Whatever the client throws while Redis is away (a bare TaskCanceledException too), retry: never stop the API.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                // Said once at warning level; the retries every second after that are only worth a debug line.
                logger.Log(warned ? LogLevel.Debug : LogLevel.Warning, "Cannot subscribe to job completions yet ({Error}); long-polls fall back to their timeout.", ex.Message);
                warned = true;
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>Registers interest in a job before it is submitted or read, so a completion in between is not missed.</summary>
    public Registration Register(JobRef job)
    {
        var member = job.Member;
        while (true)
        {
            var waiter = _waiters.GetOrAdd(member, static _ => new Waiter());
            if (waiter.TryAcquire())
            {
                return new Registration(this, member, waiter);
            }

            _waiters.TryRemove(new KeyValuePair<string, Waiter>(member, waiter));
        }
    }

    private void Signal(JobFinished finished)
    {
        if (_waiters.TryGetValue(finished.Job.Member, out var waiter))
        {
            waiter.Done.TrySetResult(finished.Snapshot);
        }
    }

    private void Release(string member, Waiter waiter)
    {
        if (waiter.ReleaseIsLast())
        {
            _waiters.TryRemove(new KeyValuePair<string, Waiter>(member, waiter));
        }
    }

    public sealed class Waiter
    {
        private readonly Lock _gate = new();
        private int _count;

        /// <summary>
        /// Completed when the job finishes, with the finished job when the notification carried it. Continuations run
        /// synchronously: the notification handler is already a thread-pool work item of its own (StackExchange.Redis
        /// queues each pub/sub message), so the waiting request answers on it without another thread hop.
        /// </summary>
        public TaskCompletionSource<JobSnapshot?> Done { get; } = new();

        internal bool TryAcquire()
        {
            lock (_gate)
            {
                if (_count < 0)
                {
                    return false;
                }

                _count++;
                return true;
            }
        }

        internal bool ReleaseIsLast()
        {
            lock (_gate)
            {
                if (--_count > 0)
                {
                    return false;
                }

                _count = -1;
                return true;
            }
        }
    }

    public readonly struct Registration(CompletionWaiter owner, string member, Waiter waiter) : IDisposable
    {
        /// <summary>
        /// Waits until the job finishes or <paramref name="timeout"/> passes. Returns the finished job when the
        /// notification carried it, else null (time ran out, or the job must be read).
        /// </summary>
        public async Task<JobSnapshot?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                return await waiter.Done.Task.WaitAsync(timeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }

        public void Dispose() => owner.Release(member, waiter);
    }
}
