-- Move jobs from inflight back to the queue, and forget ended ones. Queue slot: KEYS[1] ready, KEYS[2] inflight,
-- KEYS[3] scheduled, KEYS[4] (only with MongoDB history on) the archive backlog. ARGV: wake channel, then groups of:
-- action, score, member. Actions: 'r' leave inflight for ready, 's' leave inflight for scheduled, 'd' leave inflight
-- (score unused), 'a' leave inflight for the archive backlog (an ended job whose ack was lost), 'e' enqueue only: a
-- workflow successor, which must keep any inflight entry it has, since that may be the lease of a worker that just
-- claimed it; 'w' leave scheduled for ready: a waiting job woken early (an event reached it).
-- A limited job's member is its lane member ('~<lane>~from:job_id', _lanes.lua): leaving inflight frees its limit
-- slots, and 'r' and 's' keep it in its lane.
local qk = queue_keys_of(KEYS[1])
local items = {}
for i = 2, #ARGV, 3 do
  local action, score, lane_member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local lane, member = lane_split(lane_member)
  if action == 'w' then
    redis.call('ZREM', KEYS[3], lane_member)
  elseif action ~= 'e' then
    redis.call('ZREM', KEYS[2], member)
    if lane then
      lane_release(qk, KEYS[1], ARGV[1], lane, member)
    end
  end
  if action == 'r' or action == 'e' or action == 'w' then
    items[#items + 1] = score
    items[#items + 1] = lane_member
  elseif action == 's' then
    redis.call('ZADD', KEYS[3], score, lane_member)
  elseif action == 'a' then
    redis.call('ZADD', KEYS[4], 'NX', score, member)
  end
end
return enqueue_ready(KEYS[1], ARGV[1], items)
