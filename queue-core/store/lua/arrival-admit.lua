-- Admission without waiting (max-size inlet with `instant`): a guard in front of
-- increment-serving.lua (loaded as ONE script, as advance-on-tick.lua is). When the arrival at
-- position ARGV[4] is next in line (serving counter = ARGV[4] − 1: nobody ahead waits) and
-- active sessions plus served positions not yet claimed are under ARGV[6] (maxActive), the
-- counter moves to it; otherwise nothing changes. The token is issued next by issue-token.lua,
-- which refuses past maxActive on its own, so concurrent arrivals never exceed it (rule 4).
-- KEYS[1..3] as increment-serving.lua, KEYS[4] active sessions zset (by expiresAt).
-- ARGV[1] 1, ARGV[2] now, ARGV[3] largest serving value, ARGV[4] the position,
-- ARGV[5] '' (no cap), ARGV[6] maxActive.
-- Returns nil (not admitted) or {serving before, serving after}.
-- KEYS[5..7] as increment-serving.lua (ARGV[7] empty: the arrival was seen as it joined),
-- KEYS[8] the loss hold's sessions zset (hold-sessions.lua: counted as active).
local counters = redis.call('HMGET', KEYS[1], 'serving', 'queue', 'tokens', 'expired')
local serving, queue = tonumber(counters[1] or '0'), tonumber(counters[2] or '0')
if serving ~= tonumber(ARGV[4]) - 1 or redis.call('HGET', KEYS[1], 'draw') == 'drawing' then return false end
local outstanding = math.max(0, math.min(serving, queue) - tonumber(counters[3] or '0') - tonumber(counters[4] or '0'))
local active = redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[2], '+inf') + redis.call('ZCOUNT', KEYS[8], '(' .. ARGV[2], '+inf')
if active + outstanding >= tonumber(ARGV[6]) then return false end
