-- An idle worker waits for a handoff (see queue_enqueue.lua), or stops waiting. Queue slot: KEYS[1] its idle set
-- (base:idle:<its offer signature>); on the first wait of its signature in this process only, KEYS[2] the lanes
-- index and KEYS[3] the queue's idle signatures. ARGV: worker id, wait ms ('0' = stop waiting: the worker is busy or
-- shutting down), its offer signature.
-- The first wait records the signature, so a pause reaches this set from then on (queue_control.lua), and gives the
-- set the pause marker if the queue is paused already. Later waits cost what they always did.
if ARGV[2] == '0' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
if KEYS[3] then
  redis.call('SADD', KEYS[3], ARGV[3])
  if redis.call('ZSCORE', KEYS[2], '~paused') then
    redis.call('ZADD', KEYS[1], '+inf', '~paused')
  end
end
return redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), ARGV[1])
