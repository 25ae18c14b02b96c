-- wait_countdown, each look: is the latch at zero? One latch slot: KEYS[1] holders, KEYS[2] waiters (sorted sets, score
-- = until when the entry counts, Redis ms). ARGV: member (from:job_id), lifetime_ms (until the job's next look plus a
-- grace; a lapsed waiter is dropped, so the waiters of jobs that stopped looking leave).
-- Returns 0 at zero (and the job is no waiter), else the count, and the job is a waiter until now + lifetime_ms.
-- Atomic with latch_release.lua in the same slot: a release either comes first (and this sees its count) or after
-- (and it sees this waiter). None falls in between.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
local count = redis.call('ZCARD', KEYS[1])
if count == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
-- The waiters key lives as long as its longest-lived waiter.
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return count
