-- Make a job that waits for its time start now: a retry in its backoff, a delayed job (run_at / delay), or a
-- wait_event / wait_acquire job between its looks. One job slot: KEYS[1] status hash.
-- Returns {1, priority, cmd, q} made due (its 'ra' is now): the caller wakes it in its queue's scheduled set onto its
-- function's lane (queue_requeue.lua 'w'), as an event does | {0, st} it does not wait for a time (st '' = no such job).
-- A graph run (kind 'w') has no time of its own; a graph node in a retry's backoff may be made due (its run's pause still
-- holds it).
local f = redis.call('HMGET', KEYS[1], 'st', 'ra', 'kind', 'pri', 'cmd', 'q')
if f[1] ~= '1' or not f[2] or f[3] == 'w' then
  return {0, f[1] or ''}
end
local now = now_ms()
redis.call('HSET', KEYS[1], 'ra', now, 'ut', now)
return {1, f[4] or '1', f[5] or '?', f[6] or ''}
