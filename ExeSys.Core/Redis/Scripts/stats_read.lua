-- GET /stats: every statistics hash of its windows in one call (RedisRunStats). The {stats} slot: KEYS the minute
-- hashes (newest first), then the hour hashes. Returns each key's HGETALL (empty when it has expired or never was).
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('HGETALL', KEYS[i])
end
return out
