-- Enqueue job references. Queue slot: KEYS[1] ready zset. ARGV: wake channel, then score/member pairs.
local items = {}
for i = 2, #ARGV do
  items[#items + 1] = ARGV[i]
end
return enqueue_ready(KEYS[1], ARGV[1], items)
