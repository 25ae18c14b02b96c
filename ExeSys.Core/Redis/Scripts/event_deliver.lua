-- Deliver a posted event to one waiting job. One job slot: KEYS[1] status hash. ARGV: event name, event JSON ('': only
-- check whether the job still waits, and return {3} if it does).
-- Returns {0} the job no longer waits for this event (ended, gone, cancelled) | {1, priority, cmd, q} delivered to a job in
-- standby, which the caller moves to the ready queue | {2} delivered to a job still running its look, which
-- its own deferral will make due at once. The first event delivered wins; delivering again only wakes the job again.
local f = redis.call('HMGET', KEYS[1], 'st', 'evw', 'evd', 'pri', 'cmd', 'q')
if f[2] ~= ARGV[1] or (f[1] ~= '1' and f[1] ~= '2') then
  return {0}
end
if ARGV[2] == '' then
  return {3}
end
if not f[3] then
  redis.call('HSET', KEYS[1], 'evd', ARGV[2])
end
if f[1] == '1' then
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'ra', now, 'ut', now)
  return {1, f[4] or '1', f[5] or '?', f[6] or ''}
end
return {2}
