-- Take a batch of due schedules for this controller. Schedules slot: KEYS[1] due. ARGV: base, now, max, lease ms.
-- Each taken schedule's due score moves to now + lease, so other controllers pass it over while this one plans its
-- firing; if this one dies, another takes it when the lease lapses. Taking decides nothing: schedule_fire.lua does,
-- guarded by the fire time. Returns name, def, next for each.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local until_ms = tonumber(ARGV[2]) + tonumber(ARGV[4])
for _, name in ipairs(due) do
  local h = redis.call('HMGET', schedule_key(ARGV[1], name), 'def', 'next', 'paused')
  if not h[1] or not h[2] or h[3] then
    redis.call('ZREM', KEYS[1], name)
  else
    redis.call('ZADD', KEYS[1], until_ms, name)
    out[#out + 1] = name
    out[#out + 1] = h[1]
    out[#out + 1] = h[2]
  end
end
return out
