-- Record a job's end and advance its workflow, atomically. One job slot: KEYS[1] status hash (an EOJ goes into its
-- field 'da' as the original's data_available text), KEYS[2] the run's workflow hash.
-- ARGV: attempt (fencing token; '' = an operator's cancel of a waiting single job or step: see below), outcome ('3' EOJ | '4' error | '1' defer: run again at retry_at, attempt not counted), payload (EOJ JSON | error text), now_ms, retention_ms ('0' = keep: the archiver expires the keys),
--       done channel, member, prefix, job_id, name (the job's 'from'), taken (graph edges whose condition held,
--       comma-separated), retry_at ('' = do not retry; else when the next attempt may start, if attempts remain)
-- Returns {0} refused (the claim is stale) | {2, retry_at} another attempt is scheduled |
--         {1, name, priority, cmd, q, ...[, run_ms, run_outcome]} recorded; each group of four is a workflow job it moved
--         to state 0, which the caller enqueues onto its function's lane (q: the queue its submit named, '' = its
--         function's routed queue). When this end also ended its graph run, two values follow the groups: the run's
--         duration in ms and 'ok' or 'failed' (for the workflow-duration metric; RedisJobFinish reads them).
-- It reads the snapshot's fields (all but the input data) in its one HMGET, for the done notification of a watched job,
-- built below without a second read.
local f = read_snapshot(KEYS[1], true)
if ARGV[1] == '' then
  -- A cancel (RedisJobClient.CancelWaitingAsync): only a job that waits (state 0 queued, or 1: a retry's backoff, a
  -- delay, an event or its chain's predecessor) and that is neither a graph node nor a run (their run is cancelled as a
  -- whole). It ends as a last attempt's error would, below: its long-poll is told and the rest of its chain fails. Its
  -- queue entry stays until a claim or the controller's due move meets it; start_job skips a job in state 4.
  if (f[ST] ~= '0' and f[ST] ~= '1') or f[KIND] or ARGV[2] ~= '4' or ARGV[12] ~= '' then
    return {0}
  end
  redis.call('HDEL', KEYS[1], 'ra')
elseif f[ST] ~= '2' or f[AT] ~= ARGV[1] then
  return {0}
end
local now, ret, channel = ARGV[4], ARGV[5], ARGV[6]
local prefix, job_id, name = ARGV[8], ARGV[9], ARGV[10]
local wf = KEYS[2]

local function publish_if_watched(watched, who)
  if watched then
    redis.call('PUBLISH', channel, who .. ':' .. job_id)
  end
end

-- Ends a graph run: its own status (owner:{job_id}) and every node's keys expire together.
local run_end = false
local function end_run(outcome, payload)
  local owner = redis.call('HGET', wf, 'owner')
  local rs = job_key(prefix, owner, job_id, 'status')
  run_end = {tonumber(now) - tonumber(redis.call('HGET', rs, 'ct') or now), outcome == '3' and 'ok' or 'failed'}
  if outcome == '3' then
    redis.call('HSET', rs, 'st', '3', 'ut', now, 'ft', now, 'da', '{"to":"end_job","result":' .. payload .. '}')
  else
    redis.call('HSET', rs, 'st', '4', 'ut', now, 'ft', now, 'err', payload)
  end
  redis.call('HSET', wf, 'state', outcome == '3' and 'done' or 'failed')
  keep_for(rs, ret)
  for _, n in ipairs(split(redis.call('HGET', wf, 'nodes'))) do
    keep_for(job_key(prefix, n, job_id, 'status'), ret)
  end
  keep_for(wf, ret)
  publish_if_watched(redis.call('HGET', rs, 'w'), owner)
end

local function end_result()
  local ends = split(redis.call('HGET', wf, 'ends'))
  if #ends == 1 then
    return result_of(stored_result(prefix, ends[1], job_id, true)) or 'null'
  end
  local parts = {}
  for _, e in ipairs(ends) do
    local r = result_of(stored_result(prefix, e, job_id, true))
    if r then
      parts[#parts + 1] = '"' .. e .. '":' .. r
    end
  end
  return '{' .. table.concat(parts, ',') .. '}'
end

-- Graph: resolve each outgoing edge of the finished node. A successor whose incoming edges are all resolved starts
-- if any of them was taken, and is skipped otherwise; a skip resolves the skipped node's own edges in turn.
-- The work is proportional to the out-degree of the nodes resolved.
local function advance_graph(taken_list, promoted)
  local state = redis.call('HGET', wf, 'state')
  if state ~= 'running' and state ~= 'paused' then
    return
  end
  local stack = {{name, taken_list}}
  while #stack > 0 do
    local item = table.remove(stack)
    local taken = {}
    for _, t in ipairs(item[2]) do
      taken[t] = true
    end
    for _, succ in ipairs(split(redis.call('HGET', wf, 'out:' .. item[1]))) do
      if taken[succ] then
        redis.call('HSET', wf, 'taken:' .. succ, '1')
      end
      if redis.call('HINCRBY', wf, 'pending:' .. succ, -1) == 0 then
        local go = redis.call('HGET', wf, 'taken:' .. succ)
        if succ == 'end_job' then
          if go then
            end_run('3', end_result())
          else
            end_run('4', 'No branch reached end_job: every edge into it was skipped.')
          end
        elseif go then
          local key = job_key(prefix, succ, job_id, 'status')
          if state == 'running' then
            redis.call('HSET', key, 'st', '0', 'ut', now)
            local p = redis.call('HMGET', key, 'pri', 'cmd', 'q')
            promoted[#promoted + 1] = succ
            promoted[#promoted + 1] = p[1] or '1'
            promoted[#promoted + 1] = p[2] or '?'
            promoted[#promoted + 1] = p[3] or ''
          else
            redis.call('HSET', key, 'held', '1')
          end
        else
          local key = job_key(prefix, succ, job_id, 'status')
          redis.call('HSET', key, 'st', '3', 'skipped', '1', 'ut', now, 'ft', now)
          stack[#stack + 1] = {succ, {}}
        end
      end
    end
  end
end

-- The original step protocol: the step whose 'from' is this step's 'to' runs next; a failure fails the rest of the chain.
local function advance_steps(ok, promoted)
  local to = f[TO]
  if ok then
    redis.call('HSET', wf, 'reached:' .. to, name)
    local key = job_key(prefix, to, job_id, 'status')
    local s = redis.call('HMGET', key, 'st', 'ra', 'pri', 'cmd', 'q')
    if s[1] == '1' and not s[2] then
      redis.call('HSET', key, 'st', '0', 'pred', name, 'ut', now)
      promoted[#promoted + 1] = to
      promoted[#promoted + 1] = s[3] or '1'
      promoted[#promoted + 1] = s[4] or '?'
      promoted[#promoted + 1] = s[5] or ''
    end
  else
    local msg = 'step ' .. name .. ' failed: ' .. ARGV[3]
    local step = to
    for _ = 1, 10000 do
      redis.call('HSET', wf, 'failed:' .. step, msg)
      local key = job_key(prefix, step, job_id, 'status')
      local s = redis.call('HMGET', key, 'st', 'to', 'w')
      if s[1] ~= '1' then
        break
      end
      redis.call('HSET', key, 'st', '4', 'err', msg, 'ut', now, 'ft', now)
      keep_for(key, ret)
      publish_if_watched(s[3], step)
      if s[2] == 'end_job' then
        break
      end
      step = s[2]
    end
  end
  keep_for(wf, ret)
end

if ARGV[2] == '1' then
  -- A wait_event job that an event reached while it ran is due at once (it still remembers the time it asked for).
  local due = redis.call('HEXISTS', KEYS[1], 'evd') == 1 and now or ARGV[12]
  redis.call('HSET', KEYS[1], 'st', '1', 'ra', due, 'du', ARGV[12], 'at', tonumber(f[AT]) - 1, 'ut', now)
  return {2, due}
end
local ok = ARGV[2] == '3'
local final_err, final_errs = f[ERR], f[ERRS]
local da = ok and ('{"to":' .. cjson.encode(f[TO]) .. ',"result":' .. ARGV[3] .. '}') or false
if ok then
  redis.call('HSET', KEYS[1], 'st', '3', 'ut', now, 'ft', now, 'da', da)
else
  local errs = f[ERRS] and cjson.decode(f[ERRS]) or {}
  errs[#errs + 1] = ARGV[3]
  local errs_json = cjson.encode(errs)
  if ARGV[12] ~= '' and tonumber(f[AT]) < tonumber(f[MA] or '1') then
    redis.call('HSET', KEYS[1], 'st', '1', 'ra', ARGV[12], 'err', ARGV[3], 'errs', errs_json, 'ut', now)
    return {2, ARGV[12]}
  end
  redis.call('HSET', KEYS[1], 'st', '4', 'ut', now, 'ft', now, 'err', ARGV[3], 'errs', errs_json)
  final_err, final_errs = ARGV[3], errs_json
end
keep_for(KEYS[1], ret)
if f[W] then
  -- Someone long-polls this job: the notification carries the job as job_get.lua would read it, so the waiting
  -- request answers without reading it again. All but its input data, which that request already has (it can be
  -- large, and the reply does not show it).
  f[ST], f[UT], f[ERR], f[ERRS], f[DA] = ok and '3' or '4', now, final_err, final_errs, da
  redis.call('PUBLISH', channel, name .. ':' .. job_id .. '\n' .. cjson.encode(snapshot_of(f)))
end

local promoted = {}
if f[KIND] == 'n' then
  publish_run_change(prefix, job_id)
  if ok then
    advance_graph(split(ARGV[11]), promoted)
  elseif redis.call('HGET', wf, 'state') == 'running' or redis.call('HGET', wf, 'state') == 'paused' then
    end_run('4', 'node ' .. name .. ' failed: ' .. ARGV[3])
  end
elseif f[TO] ~= 'end_job' and redis.call('HEXISTS', wf, 'owner') == 0 then
  -- The step protocol never reaches into a graph run that shares the job_id (its hash has an 'owner'): a single job or
  -- step naming a node as its 'to' would otherwise start that node (order-42 "shipped" with no payment) or fail it
  -- (the run would hang for good), and set its run's keys to expire.
  advance_steps(ok, promoted)
end
if run_end then
  promoted[#promoted + 1] = run_end[1]
  promoted[#promoted + 1] = run_end[2]
end
-- Not {1, unpack(promoted)}: unpack() takes at most 7,999 values, and a node that fans out to thousands promotes more.
table.insert(promoted, 1, 1)
return promoted
