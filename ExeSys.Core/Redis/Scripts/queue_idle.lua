-- An idle worker waits for a handoff (see queue_enqueue.lua), or stops waiting. Queue slot: KEYS[1] its idle set
-- (base:idle:<its offer signature>). ARGV: worker id, wait ms ('0' = stop waiting: the worker is busy or shutting down).
if ARGV[2] == '0' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), ARGV[1])
