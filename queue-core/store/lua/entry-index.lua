-- A process's index of the places handed out (redis-store.ts, getEntry with maxAgeMs), read
-- in one step: the era, the queue length, and the entry-time changes after position ARGV[1]
-- (at most ARGV[2] of them, oldest first).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset (score position, member
-- "position:entryTime").
-- Returns {} when the queue has no era (nothing handed out), else {era, queue, changes}.
local state = redis.call('HMGET', KEYS[1], 'era', 'queue')
if not state[1] then return {} end
local changes = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
return {state[1], state[2] or '0', changes}
