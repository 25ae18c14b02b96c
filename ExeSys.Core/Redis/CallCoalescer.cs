namespace ExeSys.Core.Redis;

/// <summary>
/// Turns many small calls into few Redis commands: items added while a call is in flight go out together in the
/// next one. An item added while nothing is in flight is sent at once, on the caller's own thread, so a lone job
/// waits for no timer and no thread hop. Under load the batches grow by themselves with the round-trip time.
/// <para>The task of <see cref="AddAsync"/> completes when the call that carried the item has succeeded, or fails
/// with that call's exception; a caller that awaits it knows its item is in Redis.</para>
/// </summary>
/// <param name="send">Sends one batch as one call (items in the order they were added).</param>
/// <param name="maxBatch">The most items one call carries; more wait for the next call.</param>
/// <param name="weight">An item's size, as the call's limit counts it (e.g. its script arguments); 1 when not given.</param>
/// <param name="maxWeight">The most total <paramref name="weight"/> one call carries, so merging never builds a call
/// larger than Redis takes (see ScriptLimits). An item heavier than this alone goes in a call of its own; callers split
/// their items to stay under it.</param>
public sealed class CallCoalescer<T>(Func<IReadOnlyList<T>, Task> send, int maxBatch = 512, Func<T, int>? weight = null, int maxWeight = int.MaxValue)
{
    private readonly Lock _gate = new();
    private List<(T Item, TaskCompletionSource Done)> _pending = [];
    private bool _sending;

    public Task AddAsync(T item)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _pending.Add((item, done));
            start = !_sending;
            _sending = true;
        }

        if (start)
        {
            _ = SendAllAsync();
        }

        return done.Task;
    }

    private async Task SendAllAsync()
    {
        while (true)
        {
            List<(T Item, TaskCompletionSource Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }

                var count = CountToSend();
                if (count == _pending.Count)
                {
                    batch = _pending;
                    _pending = [];
                }
                else
                {
                    batch = _pending.GetRange(0, count);
                    _pending.RemoveRange(0, count);
                }
            }

            try
            {
                await send(batch.ConvertAll(b => b.Item));
                foreach (var (_, done) in batch)
                {
                    done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }
            }
        }
    }

    /// <summary>How many of the pending items (at least one) the next call takes: up to maxBatch, and up to maxWeight in total. Called under the gate.</summary>
    private int CountToSend()
    {
        var limit = Math.Min(maxBatch, _pending.Count);
        if (weight is null)
        {
            return limit;
        }

        var total = 0L;
        for (var i = 0; i < limit; i++)
        {
            total += weight(_pending[i].Item);
            if (total > maxWeight && i > 0)
            {
                return i;
            }
        }

        return limit;
    }
}
