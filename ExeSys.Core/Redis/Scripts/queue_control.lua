-- Pause or resume a queue. Queue slot: KEYS[1] the queue's paused flag, KEYS[2] lanes index.
-- ARGV: 'pause' | 'resume', wake channel. While the flag exists nothing new starts from the queue: queue_claim.lua
-- takes nothing (lane_eligible), and take_idle_worker hands nothing over (job_submit.lua, queue_enqueue.lua);
-- running jobs finish. Resuming wakes the workers of every non-empty lane, since no enqueue may announce them.
-- Returns 1 when the state changed, 0 when it already was so.
if ARGV[1] == 'pause' then
  return redis.call('SET', KEYS[1], '1', 'NX') and 1 or 0
end
local changed = redis.call('DEL', KEYS[1])
if changed == 1 then
  for _, fn in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    redis.call('PUBLISH', ARGV[2], '1\n' .. fn)
  end
end
return changed
