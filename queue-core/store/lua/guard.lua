-- The regression guard alone (guard-counters.lua, included in front), sent ahead of the first
-- counter move of an event in an event-loop turn. KEYS[1] counters hash, KEYS[2] reset count
-- string, KEYS[3] last periodic tick string, KEYS[4] sessions hash; ARGV[1..5] known, queue,
-- tick, serving and arrival floors, ARGV[6] the known era, ARGV[7] the last session issued.
return guardCounters(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], KEYS[4], ARGV[7])
