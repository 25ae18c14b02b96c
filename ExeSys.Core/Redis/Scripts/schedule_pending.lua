-- Take up firings whose pending entry has lapsed: a firing triggered by hand (due at once), a buffered one to look at
-- again, or one whose controller died before it settled. Schedules slot: KEYS[1] pending. ARGV: base, now, max, lease ms.
-- Each taken entry is held for lease ms. A firing of a deleted schedule is dropped.
-- Returns name, fire, def, last run's job_id, buffered fire time ('' when none) for each.
local base, now = ARGV[1], tonumber(ARGV[2])
local taken = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, member in ipairs(taken) do
  local bar = string.find(member, '|', 1, true)
  local name = string.sub(member, 1, bar - 1)
  local h = redis.call('HMGET', schedule_key(base, name), 'def', 'last', 'buf')
  if not h[1] then
    redis.call('ZREM', KEYS[1], member)
  else
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), member)
    out[#out + 1] = name
    out[#out + 1] = string.sub(member, bar + 1)
    out[#out + 1] = h[1]
    out[#out + 1] = h[2] or ''
    out[#out + 1] = h[3] or ''
  end
end
return out
