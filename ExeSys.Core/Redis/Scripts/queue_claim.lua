-- Take jobs off the queue under a lease. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset, KEYS[3] idle workers.
-- ARGV: max count, lease ms, worker id, handoff wait ms ('0' = the worker is busy: do not wait for a handoff).
-- The lease deadline is on Redis's clock, the one clock every machine shares. A claim that empties the queue for an
-- idle worker lets it wait for a handoff (queue_enqueue.lua) until then + the wait; any other claim ends its wait.
-- Returns the claimed members (from:job_id); the caller then moves each job to state 2 (job_start.lua).
-- On a single Redis (the job keys are then in reach of this script), ARGV[5] = the key prefix and ARGV[6] = now_ms
-- (the worker's clock, as job_start.lua takes it) start the claimed jobs here as well, saving a job_start round trip
-- per job: the reply is then {member, job_start.lua's reply} for each claimed job.
local items = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local n = #items
if n == 0 and ARGV[4] == '0' then
  return {}
end
local now = now_ms()
if n / 2 < tonumber(ARGV[1]) and ARGV[4] ~= '0' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
elseif n > 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if n == 0 then
  return {}
end
local deadline = now + tonumber(ARGV[2])
local args = {}
local members = {}
for i = 1, n, 2 do
  args[#args + 1] = deadline
  args[#args + 1] = items[i]
  members[#members + 1] = items[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
if not ARGV[5] then
  return members
end
local started = {}
for _, member in ipairs(members) do
  local split_at = string.find(member, ':', 1, true)
  local name, job_id = string.sub(member, 1, split_at - 1), string.sub(member, split_at + 1)
  started[#started + 1] = member
  started[#started + 1] = start_job(job_key(ARGV[5], name, job_id, 'status'), wf_key(ARGV[5], job_id), ARGV[3], ARGV[6],
    ARGV[5], job_id, name)
end
return started
