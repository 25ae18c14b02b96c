-- Operator control of a graph run. One job slot: KEYS[1] run status, KEYS[2] workflow hash, KEYS[3] (only with
-- MongoDB history on) the run's operator log, to which an applied action is appended as 'label|now_ms', and
-- KEYS[4] (only with history on, and only on a single Redis: it is in the queue's slot) the archive backlog, which a
-- cancel puts the run on in the same step that ends it. On a cluster the caller adds it after this script.
-- ARGV: action ('pause' | 'resume' | 'cancel'), prefix, job_id, now_ms, retention_ms, done channel, reason, label
-- Returns {'missing'} | {'ended', state} | {'ok', state, node, priority, cmd, q, ...} to enqueue on resume (every node in state 0,
-- so that a re-sent resume heals one whose enqueue failed); cancel lists running nodes
-- after the marker 'running', so their workers can be told to stop.
local state = redis.call('HGET', KEYS[2], 'state')
if not state or redis.call('HGET', KEYS[1], 'kind') ~= 'w' then
  return {'missing'}
end
if state ~= 'running' and state ~= 'paused' then
  return {'ended', state}
end
local prefix, job_id, now, ret = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local action = ARGV[1]
if KEYS[3] then
  redis.call('RPUSH', KEYS[3], ARGV[8] .. '|' .. now)
  redis.call('LTRIM', KEYS[3], -1000, -1)
end
local nodes = split(redis.call('HGET', KEYS[2], 'nodes'))
publish_run_change(prefix, job_id)
if action == 'pause' then
  redis.call('HSET', KEYS[2], 'state', 'paused')
  return {'ok', 'paused'}
end
if action == 'resume' then
  redis.call('HSET', KEYS[2], 'state', 'running')
  local out = {'ok', 'running'}
  for _, n in ipairs(nodes) do
    local key = job_key(prefix, n, job_id, 'status')
    local f = redis.call('HMGET', key, 'st', 'held', 'pri', 'cmd', 'q')
    if f[2] then
      redis.call('HDEL', key, 'held')
      redis.call('HSET', key, 'st', '0', 'ut', now)
    end
    -- Every node in state 0 goes back to the caller to enqueue, not only the held ones: the enqueue is a second call,
    -- in the queue's slot, and when it fails the held marks are already gone. A re-sent resume (of a run now running)
    -- then enqueues them again; ZADD NX keeps a node that is already queued in its place.
    if f[2] or f[1] == '0' then
      out[#out + 1] = n
      out[#out + 1] = f[3] or '1'
      out[#out + 1] = f[4] or '?'
      out[#out + 1] = f[5] or ''
    end
  end
  return out
end
-- cancel: the run ends in state 4; nodes not started never start; running nodes are listed for cancellation.
redis.call('HSET', KEYS[2], 'state', 'cancelled')
redis.call('HSET', KEYS[1], 'st', '4', 'err', ARGV[7], 'ut', now, 'ft', now)
keep_for(KEYS[1], ret)
keep_for(KEYS[2], ret)
local out = {'ok', 'cancelled', 'running'}
for _, n in ipairs(nodes) do
  local key = job_key(prefix, n, job_id, 'status')
  if redis.call('HGET', key, 'st') == '2' then
    -- Sticky, so a worker that misses the pub/sub message still finds it when it next checks.
    redis.call('HSET', key, 'cancel', '1')
    out[#out + 1] = n
  end
  keep_for(key, ret)
end
local owner = redis.call('HGET', KEYS[2], 'owner')
if KEYS[4] then
  redis.call('ZADD', KEYS[4], 'NX', now, owner .. ':' .. job_id)
end
if redis.call('HGET', KEYS[1], 'w') then
  redis.call('PUBLISH', ARGV[6], owner .. ':' .. job_id)
end
return out
