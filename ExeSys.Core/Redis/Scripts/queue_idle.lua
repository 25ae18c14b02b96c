-- An idle worker waits for a handoff (see queue_enqueue.lua), or stops waiting. Queue slot: KEYS[1] its idle set
-- (base:idle:<its offer signature>), KEYS[2] the lanes index, KEYS[3] the queue's idle signatures.
-- ARGV: worker id, wait ms ('0' = stop waiting: the worker is busy or shutting down), its offer signature.
-- The signature is recorded so a pause reaches this set, and a set that starts waiting in a paused queue gets the
-- pause marker (queue_control.lua). This runs once per idle poll, not per job.
if ARGV[2] == '0' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('SADD', KEYS[3], ARGV[3])
if redis.call('ZSCORE', KEYS[2], '~paused') then
  redis.call('ZADD', KEYS[1], '+inf', '~paused')
end
return redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), ARGV[1])
