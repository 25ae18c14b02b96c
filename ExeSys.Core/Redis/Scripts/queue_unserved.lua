-- Take the jobs that have waited too long in a lane no live worker serves, under a lease, so the controller can end
-- them in state 4 (job_start.lua, then job_finish.lua, as any failed attempt ends). Queue slot: KEYS[1] lanes index,
-- KEYS[2] inflight. ARGV: queue base, function, cutoff score (jobs queued at or before it), max count, lease ms.
-- Only the lane's head end is read (ZRANGEBYSCORE from -inf, LIMIT max): the cost is the jobs taken, never a scan.
-- Returns the members taken.
local lane = lane_key(ARGV[1], ARGV[2])
local old = redis.call('ZRANGEBYSCORE', lane, '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
if #old == 0 then
  return {}
end
redis.call('ZREM', lane, unpack(old))
-- A limited lane's token (_lanes.lua) stands for its jobs: those queued by the cutoff are taken too, and the token
-- goes back, scored as the lane's new first job, while any remain.
local taken = {}
for _, member in ipairs(old) do
  if string.byte(member, 1) == 126 then
    local jobs = ARGV[1] .. ':lane:' .. string.sub(member, 2)
    local due = redis.call('ZRANGEBYSCORE', jobs, '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
    if #due > 0 then
      redis.call('ZREM', jobs, unpack(due))
      for _, job in ipairs(due) do
        taken[#taken + 1] = job
      end
    end
    local first = redis.call('ZRANGE', jobs, 0, 0, 'WITHSCORES')
    if first[1] then
      redis.call('ZADD', lane, first[2], member)
    else
      redis.call('SREM', ARGV[1] .. ':limited', string.sub(member, 2))
    end
  else
    taken[#taken + 1] = member
  end
end
old = taken
if #old == 0 then
  return {}
end
local head = redis.call('ZRANGE', lane, 0, 0, 'WITHSCORES')
if head[2] then
  redis.call('ZADD', KEYS[1], head[2], ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
local deadline = now_ms() + tonumber(ARGV[5])
local args = {}
for _, member in ipairs(old) do
  args[#args + 1] = deadline
  args[#args + 1] = member
end
redis.call('ZADD', KEYS[2], unpack(args))
return old
