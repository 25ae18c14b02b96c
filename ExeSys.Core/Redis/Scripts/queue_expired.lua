-- List claimed jobs whose lease has passed. Queue slot: KEYS[1] inflight. ARGV: max count.
local now = now_ms()
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
