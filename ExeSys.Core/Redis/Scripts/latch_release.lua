-- wait_release: remove a holder from a latch. One latch slot: KEYS[1] holders, KEYS[2] waiters (sorted sets, score =
-- until when the entry counts, Redis ms). ARGV: holder. Releasing a holder that is not there (a retried release, a
-- hold that lapsed) changes nothing. Returns {count, removed (1 or 0)}, and at zero also the waiters whose wait still
-- counts: the caller delivers the zero to each in its job's slot, wakes it, and then removes it (latch_wait.lua keeps
-- no waiter while the count is zero, so only jobs that registered while it was above zero are listed).
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if count > 0 then
  -- The key lives as long as its longest hold left, which the released one may have been.
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], last[2])
  return {count, removed}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
return {0, removed, redis.call('ZRANGE', KEYS[2], 0, -1)}
