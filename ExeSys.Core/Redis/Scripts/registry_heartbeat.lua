-- Advertise a live process and prune dead ones. Registry slot: KEYS[1] members zset, KEYS[2] details hash.
-- ARGV: id, ttl ms, details JSON ('' = none), the process instance's token ('' = none)
-- An id belongs to one process at a time: the details hash keeps, beside each id's details, the token of the process
-- instance that holds it (field '<id>:token'; ':' is in no id). While that member is live, a process with another token
-- is refused, and nothing is written; once its heartbeat lapses, the id is free again (a restart after a crash).
-- Returns {1, pruned} advertised | {0, ms} refused: another live instance holds the id for ms more, unless it beats again.
local now = now_ms()
local token_field = ARGV[1] .. ':token'
if ARGV[4] and ARGV[4] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if score and tonumber(score) > now then
    local held = redis.call('HGET', KEYS[2], token_field)
    if held and held ~= ARGV[4] then
      return {0, tonumber(score) - now}
    end
  end
  redis.call('HSET', KEYS[2], token_field, ARGV[4])
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
end
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
if #dead > 0 then
  local fields = {}
  for _, id in ipairs(dead) do
    fields[#fields + 1] = id
    fields[#fields + 1] = id .. ':token'
  end
  redis.call('ZREM', KEYS[1], unpack(dead))
  redis.call('HDEL', KEYS[2], unpack(fields))
end
return {1, #dead}
