-- Enqueue job references. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset, KEYS[3] idle workers zset.
-- ARGV: wake channel, lease ms, then score/member pairs. The first job goes to an idle worker if one waits
-- (enqueue_or_hand_off in _common.lua). Returns how many went onto the ready queue.
return enqueue_or_hand_off(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV, 3)
