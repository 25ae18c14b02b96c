-- Move jobs from inflight back to the queue, and forget ended ones. Queue slot: KEYS[1] ready, KEYS[2] inflight,
-- KEYS[3] scheduled, KEYS[4] (only with MongoDB history on) the archive backlog. ARGV: wake channel, then groups of:
-- action, score, member. Actions: 'r' leave inflight for ready, 's' leave inflight for scheduled, 'd' leave inflight
-- (score unused), 'a' leave inflight for the archive backlog (an ended job whose ack was lost), 'e' enqueue only: a
-- workflow successor, which must keep any inflight entry it has, since that may be the lease of a worker that just
-- claimed it; 'w' leave scheduled for ready: a waiting job woken early (an event reached it).
local items = {}
for i = 2, #ARGV, 3 do
  local action, score, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if action == 'w' then
    redis.call('ZREM', KEYS[3], member)
  elseif action ~= 'e' then
    redis.call('ZREM', KEYS[2], member)
  end
  if action == 'r' or action == 'e' or action == 'w' then
    items[#items + 1] = score
    items[#items + 1] = member
  elseif action == 's' then
    redis.call('ZADD', KEYS[3], score, member)
  elseif action == 'a' then
    redis.call('ZADD', KEYS[4], 'NX', score, member)
  end
end
return enqueue_ready(KEYS[1], ARGV[1], items)
