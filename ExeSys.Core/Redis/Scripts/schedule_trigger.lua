-- Fire a schedule now, by hand, outside its timetable. Schedules slot: KEYS[1] pending. ARGV: base, name, fire (now,
-- whole seconds), now. The firing waits in pending, due at once: the next controller tick takes it up
-- (schedule_pending.lua) and submits its job, as for any firing. Its own fire time names the job, so a second trigger
-- in the same second is the same firing. Returns 'ok', 'exists' or 'missing'.
if redis.call('EXISTS', schedule_key(ARGV[1], ARGV[2])) == 0 then
  return 'missing'
end
return redis.call('ZADD', KEYS[1], 'NX', ARGV[4], ARGV[2] .. '|' .. ARGV[3]) == 1 and 'ok' or 'exists'
