-- Register a waiter for an event (or, when its wait ends, remove it) and return the retained events it may have
-- missed. One event slot: KEYS[1] waiters hash, KEYS[2] recent events (sorted set, score = post time ms).
-- ARGV: member (from:job_id), condition JSON ('' = any event of the name), created_ms, lifetime_ms ('-1': the wait
-- ended, e.g. timed out: remove the waiter).
-- A waiter's value is '<until_ms>|<seen_ms>|<condition>': until when it counts (the job's next look plus a grace; a
-- post drops it after that, so waiters of jobs that stopped looking leave), and when it registered. The events
-- returned are those posted since that registration (or since the job was created, for a first look): the earlier
-- ones the previous look returned, and a later one that a post failed to deliver is found here.
-- Atomic with event_post.lua in the same slot: an event is either retained before the waiter registers (and returned
-- here) or posted after it (and the post sees the waiter). None falls in between.
local life = tonumber(ARGV[4])
local since = ARGV[3]
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then
  local seen = string.match(prev, '^%d+|(%d+)|')
  if seen then
    since = seen
  end
end
if life < 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  local now = now_ms()
  redis.call('HSET', KEYS[1], ARGV[1], (now + life) .. '|' .. now .. '|' .. ARGV[2])
  -- The hash lives as long as its longest-lived waiter (PTTL is -1 without a TTL, -2 for a new key).
  if redis.call('PTTL', KEYS[1]) < life then
    redis.call('PEXPIRE', KEYS[1], life)
  end
end
return redis.call('ZRANGEBYSCORE', KEYS[2], since, '+inf')
