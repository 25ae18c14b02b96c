-- Enqueue job references onto their function's lanes. Queue slot: KEYS[1] lanes index, KEYS[2] inflight zset, then
-- the idle sets (base:idle:<sig>) whose workers offer the first job's function (none: no handoff).
-- ARGV: wake channel, lease ms, queue base, then score/member/function triples. The first job goes to an idle worker
-- if one waits there (enqueue_or_hand_off in _common.lua). Returns how many went onto the lanes.
local idles = {}
for i = 3, #KEYS do
  idles[#idles + 1] = KEYS[i]
end
return enqueue_or_hand_off(ARGV[3], KEYS[2], idles, ARGV[1], ARGV[2], ARGV, 4)
