-- wait_acquire: add a holder to a latch. One latch slot: KEYS[1] holders (sorted set, score = until when the hold
-- counts, Redis ms). ARGV: holder, hold_ms. The latch's count is its number of holders, so acquiring again with the
-- same holder (a retried or re-run job, a re-sent command) only renews the hold and counts once.
-- Returns {count, added (1 a new holder, 0 an existing one renewed)}.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
-- The key lives as long as its longest hold, so an abandoned latch leaves with its last hold.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return {redis.call('ZCARD', KEYS[1]), added}
