-- Post an event: retain it for waiters that register soon after, and return who waits. One event slot:
-- KEYS[1] waiters hash, KEYS[2] recent events. ARGV: event JSON (unique: it carries an id), now_ms, retention_ms.
local now, retention = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - retention)
redis.call('PEXPIRE', KEYS[2], retention)
return redis.call('HGETALL', KEYS[1])
