-- Take a batch of archive work. Queue slot: KEYS[1] the archive backlog (score = when the entry may be taken).
-- ARGV: max, lease_ms. Due entries get the score now + lease, so a controller that dies mid-archive leaves them for
-- another after the lease; the archiver removes them (ZREM) once they are archived.
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local until_ms = now + tonumber(ARGV[2])
for _, m in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', until_ms, m)
end
return due
