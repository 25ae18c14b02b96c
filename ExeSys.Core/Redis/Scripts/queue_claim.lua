-- Take jobs off the queue under a lease. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset, KEYS[3] idle workers.
-- ARGV: max count, lease ms, worker id, handoff wait ms ('0' = the worker is busy: do not wait for a handoff),
-- '1' when the worker was told (by an earlier claim) that a parked lane may start again by now, else '0'.
-- The lease deadline is on Redis's clock, the one clock every machine shares. A claim that empties the queue for an
-- idle worker lets it wait for a handoff (queue_enqueue.lua) until then + the wait; any other claim ends its wait.
-- Limited jobs wait in lanes, which the ready queue holds as tokens (_lanes.lua): lanes_claim below is the one place a
-- claim checks limits, and only for the tokens it took.
-- Returns the time ('' = none) from which a lane this claim parked at its limit may start again, then the claimed
-- members (from:job_id, or '~<lane>~from:job_id' for a lane's job); the caller then moves each job to state 2
-- (job_start.lua).
-- On a single Redis (the job keys are then in reach of this script), ARGV[6] = the key prefix and ARGV[7] = now_ms
-- (the worker's clock, as job_start.lua takes it) start the claimed jobs here as well, saving a job_start round trip
-- per job: the reply then has {member, job_start.lua's reply} for each claimed job after that time.
local max = tonumber(ARGV[1])
if ARGV[5] == '1' then
  lanes_unpark_due(queue_keys_of(KEYS[1]), KEYS[1], nil, now_ms())
end
local items = redis.call('ZPOPMIN', KEYS[1], max)
if #items == 0 and ARGV[4] == '0' then
  return {''}
end
local now = now_ms()
local deadline = now + tonumber(ARGV[2])
local again
items, again = lanes_claim(KEYS[1], items, max, now, deadline)
local n = #items
if n / 2 < max and ARGV[4] ~= '0' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
elseif n > 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if n == 0 then
  return {again or ''}
end
local args = {}
local members = {again or ''}
for i = 1, n, 2 do
  local _, member = lane_split(items[i])
  args[#args + 1] = deadline
  args[#args + 1] = member
  members[#members + 1] = items[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
if not ARGV[6] then
  return members
end
local started = {members[1]}
for i = 2, #members do
  local _, member = lane_split(members[i])
  local split_at = string.find(member, ':', 1, true)
  local name, job_id = string.sub(member, 1, split_at - 1), string.sub(member, split_at + 1)
  started[#started + 1] = members[i]
  started[#started + 1] = start_job(job_key(ARGV[6], name, job_id, 'status'), wf_key(ARGV[6], job_id), ARGV[3], ARGV[7],
    ARGV[6], job_id, name)
end
return started
