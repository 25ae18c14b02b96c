-- After a job's outcome is recorded: drop its lease, and enqueue what the outcome released. Queue slot:
-- KEYS[1] lanes index, KEYS[2] inflight, KEYS[3] scheduled, KEYS[4] the scheduled jobs' functions (hash),
-- KEYS[5] (only with MongoDB history on) the archive backlog, which gets the member of a job that ended (no
-- retry_at), in the same step that drops its lease.
-- ARGV: wake channel, member, retry_at ('' = none; else schedule the member again then), the member's function,
--       queue base, then score/member/function triples of workflow jobs promoted to state 0 (in this queue).
redis.call('ZREM', KEYS[2], ARGV[2])
if string.byte(ARGV[4], 1) == 126 then
  -- A limited job (its function given as '~<lane>', _lanes.lua): its slots free, and a retry waits in its lane again.
  lane_release(ARGV[5], ARGV[1], string.sub(ARGV[4], 2), ARGV[2])
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
elseif KEYS[5] then
  redis.call('ZADD', KEYS[5], 'NX', now_ms(), ARGV[2])
end
local items = {}
for i = 6, #ARGV do
  items[#items + 1] = ARGV[i]
end
return enqueue_ready(ARGV[5], ARGV[1], items)
