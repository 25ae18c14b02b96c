-- Fire schedules: the one step that decides a firing. Schedules slot: KEYS[1] due, KEYS[2] pending (name|fire ->
-- until when the controller that fired it holds it, ms). ARGV: base, now, lease ms, then groups of 5: name, the fire
-- time the caller planned from (its 'next' when taken), the next fire time after this firing ('' = none: the schedule
-- has ended), that time's due score, and the fire times that fire now (comma-separated; '' when a misfire policy
-- dropped them all). A group applies only while the schedule's 'next' is still the planned one: any other controller,
-- a restart or a repeated call finds it moved on and does nothing, so each fire time fires once. A firing is recorded
-- in pending in the same step; the caller then submits its job (job_id = name + fire time, submit-if-new) and settles
-- it (schedule_settle.lua); should the caller die in between, the lapsed pending entry is taken up again
-- (schedule_pending.lua) and the same job_id is submitted, which never creates a second job.
-- Returns name, fire, last run's job_id, buffered fire time ('' when none) for each firing recorded.
local base, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 5 do
  local name, planned, next, due, fires = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local s = schedule_key(base, name)
  local h = redis.call('HMGET', s, 'next', 'paused', 'last', 'buf')
  if h[1] == planned and not h[2] then
    if next == '' then
      redis.call('HDEL', s, 'next')
      redis.call('ZREM', KEYS[1], name)
    else
      redis.call('HSET', s, 'next', next)
      redis.call('ZADD', KEYS[1], due, name)
    end
    for _, fire in ipairs(split(fires)) do
      if redis.call('ZADD', KEYS[2], 'NX', now + lease, name .. '|' .. fire) == 1 then
        out[#out + 1] = name
        out[#out + 1] = fire
        out[#out + 1] = h[3] or ''
        out[#out + 1] = h[4] or ''
      end
    end
  end
end
return out
