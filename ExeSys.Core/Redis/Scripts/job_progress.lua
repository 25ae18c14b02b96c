-- A running job publishes an intermediate result. One job slot: KEYS[1] status hash.
-- ARGV: attempt (fencing token), progress JSON, now_ms. Returns 1, or 0 when the claim is stale.
local f = redis.call('HMGET', KEYS[1], 'st', 'at')
if f[1] ~= '2' or f[2] ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'prog', ARGV[2], 'ut', ARGV[3])
return 1
