-- After a job's outcome is recorded: drop its lease, and enqueue what the outcome released. Queue slot:
-- KEYS[1] ready, KEYS[2] inflight, KEYS[3] scheduled, KEYS[4] (only with MongoDB history on) the archive backlog,
-- which gets the member of a job that ended (no retry_at), in the same step that drops its lease.
-- ARGV: wake channel, member (a limited job's lane member '~<lane>~from:job_id': its limit slots free too, and a retry
--       waits in its lane again; see _lanes.lua), retry_at ('' = none; else schedule the member again then), then
--       score/member pairs of workflow jobs promoted to state 0.
local lane, member = lane_split(ARGV[2])
redis.call('ZREM', KEYS[2], member)
if lane then
  lane_release(queue_keys_of(KEYS[1]), KEYS[1], ARGV[1], lane, member)
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
elseif KEYS[4] then
  redis.call('ZADD', KEYS[4], 'NX', now_ms(), member)
end
local items = {}
for i = 4, #ARGV do
  items[#items + 1] = ARGV[i]
end
return enqueue_ready(KEYS[1], ARGV[1], items)
