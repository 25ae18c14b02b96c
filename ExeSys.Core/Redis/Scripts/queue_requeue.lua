-- Move jobs from inflight back to the queue, and forget ended ones. Queue slot: KEYS[1] lanes index, KEYS[2] inflight,
-- KEYS[3] scheduled, KEYS[4] the scheduled jobs' functions (hash), KEYS[5] (only with MongoDB history on) the archive
-- backlog. ARGV: wake channel, queue base, then groups of: action, score, member, function. Actions: 'r' leave
-- inflight for its lane, 's' leave inflight for scheduled, 'd' leave inflight (score unused), 'a' leave inflight for
-- the archive backlog (an ended job whose ack was lost), 'e' enqueue only: a workflow successor, which must keep any
-- inflight entry it has, since that may be the lease of a worker that just claimed it; 'w' leave scheduled for its
-- lane: a waiting job woken early (an event reached it).
local items = {}
for i = 3, #ARGV, 4 do
  local action, score, member, fn = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if action == 'w' then
    -- Only a job still scheduled is woken: one already moved by queue_due.lua is on its lane (or running). It goes
    -- to the lane it was scheduled for (a limited job to its limited lane: '~<lane>', recorded by its deferral).
    if redis.call('ZREM', KEYS[3], member) == 1 then
      fn = redis.call('HGET', KEYS[4], member) or fn
      redis.call('HDEL', KEYS[4], member)
    else
      action = ''
    end
  elseif action ~= 'e' then
    redis.call('ZREM', KEYS[2], member)
    if string.byte(fn, 1) == 126 then
      -- A limited job ('~<lane>', _lanes.lua) frees its slots as it leaves inflight; 'r' and 's' keep it in its lane.
      lane_release(ARGV[2], ARGV[1], string.sub(fn, 2), member)
    end
  end
  if action == 'r' or action == 'e' or action == 'w' then
    items[#items + 1] = score
    items[#items + 1] = member
    items[#items + 1] = fn
  elseif action == 's' then
    redis.call('ZADD', KEYS[3], score, member)
    redis.call('HSET', KEYS[4], member, fn)
  elseif action == 'a' then
    redis.call('ZADD', KEYS[5], 'NX', score, member)
  end
end
return enqueue_ready(ARGV[2], ARGV[1], items)
