-- Take a claim back (lease expired, or the worker is shutting down). One job slot: KEYS[1] status, KEYS[2] workflow hash.
-- ARGV: expected attempt ('' = the controller's recovery of an expired lease, whichever attempt holds the job; else a
--       worker's graceful release of its own attempt), prefix, job_id, name, lease ms, unrun ('1' = the worker never
--       ran it: it did not offer the function after all, so the attempt it was started with is given back)
-- Every reply that puts a job back on the queue ends with the job's function (cmd) and the queue a submit named
-- ('' = its function's routed queue), so the caller puts it on the right lane.
-- A limited job's lane ('ln', '' for none: _lanes.lua) follows, so it goes back into its limited lane.
-- Returns {'requeue', pri, cmd, q, ln[, 'recovered']} back to the queue ('recovered': a running job whose lease expired,
--         which the controller's metrics count) | {'retry', pri, at, cmd, q, ln} back to the schedule | {'keep'} another claim holds it |
--         {'lost', at, error} the expired lease was the job's last failed attempt: the caller ends the job in state 4
--         with job_finish.lua (fenced by at, error as the payload), exactly as a failed attempt ends, and nothing here
--         has changed it yet |
--         {'drop', name, pri, cmd, q, ...} the lease can go ({'ended', ...} the same for a job in state 3 or 4); listed are workflow successors in state 0 that the job's end
--         promoted, which may not have been enqueued if the worker died right after recording the result.
-- A lost lease is a failed attempt (its worker crashed, froze or was cut off): it goes into 'errs' with the others, and
-- once 'ma' attempts have failed the job fails. A graceful release is not a failure and only re-queues. It is not the
-- hot path: one call per job taken back.
local f = redis.call('HMGET', KEYS[1], 'st', 'at', 'pri', 'kind', 'to', 'ra', 'cmd', 'q', 'ln')
local cmd, q, ln = f[7] or '?', f[8] or '', f[9] or ''
if f[1] == '2' and ARGV[1] == '' then
  local now = now_ms()
  local l = redis.call('HMGET', KEYS[1], 'wk', 'errs', 'ma', 'sa')
  local sa = tonumber(l[4] or '')
  if sa and sa <= now and now - sa < tonumber(ARGV[5]) then
    -- Started less than a lease ago, so this is not the attempt whose lease expired: another controller took that
    -- one back and a worker has claimed the job again since this recovery listed it.
    return {'keep'}
  end
  local errs = l[2] and cjson.decode(l[2]) or {}
  local lost = 1
  for _, e in ipairs(errs) do
    if string.find(e, ' was lost at attempt ', 1, true) then
      lost = lost + 1
    end
  end
  local err = 'worker ' .. (l[1] or '?') .. ' was lost at attempt ' .. f[2] .. ' (its lease expired)'
  if #errs + 1 >= tonumber(l[3] or '1') then
    return {'lost', f[2], err .. '; its worker was lost ' .. lost .. (lost == 1 and ' time' or ' times') .. ', and no attempts remain'}
  end
  errs[#errs + 1] = err
  redis.call('HSET', KEYS[1], 'st', '0', 'ut', now, 'err', err, 'errs', cjson.encode(errs))
  redis.call('HDEL', KEYS[1], 'wk')
  return {'requeue', f[3], cmd, q, ln, 'recovered'}
end
if f[1] == '2' and ARGV[1] == f[2] then
  if ARGV[6] == '1' then
    redis.call('HSET', KEYS[1], 'st', '0', 'ut', now_ms(), 'at', tonumber(f[2]) - 1)
  else
    redis.call('HSET', KEYS[1], 'st', '0', 'ut', now_ms())
  end
  redis.call('HDEL', KEYS[1], 'wk')
  return {'requeue', f[3], cmd, q, ln}
end
if f[1] == '0' then
  return {'requeue', f[3], cmd, q, ln}
end
if f[1] == '1' and f[6] then
  return {'retry', f[3], f[6], cmd, q, ln}
end
if f[1] == '2' then
  return {'keep'}
end
local out = {'drop'}
if f[1] == '3' or f[1] == '4' then
  out[1] = 'ended'
  local succs = {}
  if f[4] == 'n' then
    succs = split(redis.call('HGET', KEYS[2], 'out:' .. ARGV[4]))
  elseif f[5] and f[5] ~= 'end_job' then
    succs = {f[5]}
  end
  for _, s in ipairs(succs) do
    local sf = redis.call('HMGET', job_key(ARGV[2], s, ARGV[3], 'status'), 'st', 'pri', 'cmd', 'q')
    if sf[1] == '0' then
      out[#out + 1] = s
      out[#out + 1] = sf[2] or '1'
      out[#out + 1] = sf[3] or '?'
      out[#out + 1] = sf[4] or ''
    end
  end
end
return out
