-- Record what became of firings. Schedules slot: KEYS[1] pending. ARGV: base, now, runs kept, recheck ms, then groups
-- of 4: name, fire, outcome, job_id. Outcomes: 'started' (its job exists: the schedule's last run, and a runs entry),
-- 'skipped' (the overlap policy skipped it: a runs entry), 'buffered' (waits for the previous run to end: looked at
-- again after recheck ms, the schedule's one buffered firing), 'dropped' (its schedule is gone).
-- A schedule's runs list (<base>:runs:<name>) holds 'fire|job_id|outcome', newest first, at most 'runs kept'.
local base, now, kept = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 5, #ARGV, 4 do
  local name, fire, outcome, job = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local member = name .. '|' .. fire
  local s = schedule_key(base, name)
  if outcome == 'buffered' then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[4]), member)
    if redis.call('EXISTS', s) == 1 then
      redis.call('HSET', s, 'buf', fire)
    end
  else
    -- Only the settle that removes the pending entry records the firing: a firing settled twice (its controller was
    -- slow past the lease and another took it up) appears once in the runs list.
    local held = redis.call('ZREM', KEYS[1], member) == 1
    if held and outcome ~= 'dropped' and redis.call('EXISTS', s) == 1 then
      if outcome == 'started' then
        redis.call('HSET', s, 'last', job)
      end
      if redis.call('HGET', s, 'buf') == fire then
        redis.call('HDEL', s, 'buf')
      end
      local runs = runs_key(base, name)
      redis.call('LPUSH', runs, fire .. '|' .. job .. '|' .. outcome)
      redis.call('LTRIM', runs, 0, kept - 1)
    end
  end
end
return 1
