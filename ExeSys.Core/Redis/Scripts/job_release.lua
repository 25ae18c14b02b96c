-- Take a claim back (lease expired, or the worker is shutting down). One job slot: KEYS[1] status, KEYS[2] workflow hash.
-- ARGV: expected attempt ('' = any), now_ms, prefix, job_id, name
-- Returns {'requeue', pri} back to the queue | {'retry', pri, at} back to the schedule | {'keep'} another claim holds it |
--         {'drop', name, pri, ...} the lease can go ({'ended', ...} the same for a job in state 3 or 4); listed are workflow successors in state 0 that the job's end
--         promoted, which may not have been enqueued if the worker died right after recording the result.
local f = redis.call('HMGET', KEYS[1], 'st', 'at', 'pri', 'kind', 'to', 'ra')
if f[1] == '2' and (ARGV[1] == '' or ARGV[1] == f[2]) then
  redis.call('HSET', KEYS[1], 'st', '0', 'ut', ARGV[2])
  redis.call('HDEL', KEYS[1], 'wk')
  return {'requeue', f[3]}
end
if f[1] == '0' then
  return {'requeue', f[3]}
end
if f[1] == '1' and f[6] then
  return {'retry', f[3], f[6]}
end
if f[1] == '2' then
  return {'keep'}
end
local out = {'drop'}
if f[1] == '3' or f[1] == '4' then
  out[1] = 'ended'
  local succs = {}
  if f[4] == 'n' then
    succs = split(redis.call('HGET', KEYS[2], 'out:' .. ARGV[5]))
  elseif f[5] and f[5] ~= 'end_job' then
    succs = {f[5]}
  end
  for _, s in ipairs(succs) do
    local sf = redis.call('HMGET', job_key(ARGV[3], s, ARGV[4], 'status'), 'st', 'pri')
    if sf[1] == '0' then
      out[#out + 1] = s
      out[#out + 1] = sf[2] or '1'
    end
  end
end
return out
