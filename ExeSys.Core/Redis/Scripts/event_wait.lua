-- Register a waiter for an event and return the retained events it may already have missed. One event slot:
-- KEYS[1] waiters hash, KEYS[2] recent events (sorted set, score = post time ms).
-- ARGV: member (from:job_id), condition JSON ('' = any event of the name), since_ms.
-- Atomic with event_post.lua in the same slot: an event is either retained before the waiter registers (and returned
-- here) or posted after it (and the post sees the waiter). None falls in between.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], '+inf')
