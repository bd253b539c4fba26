-- The regression guard (API.md section 5): sent ahead of the first write of an event in each
-- event-loop turn that hands out a position or moves a counter, in the same socket write. It
-- raises the event's counters to what the calling process has itself acknowledged, so a store
-- that lost writes (failed over to a lagging replica, restarted empty) never makes that process
-- hand out a position, or apply a periodic tick, it already gave.
-- A reset is told apart from a loss by the event's reset count (KEYS[2]), which every reset
-- increments and never deletes: a count above the one the process knows is a reset since (the
-- process's floors no longer apply); a count below it means the store lost that too.
-- KEYS[1] counters hash, KEYS[2] reset count string, KEYS[3] last periodic tick string.
-- ARGV[1] the reset count the process knows ('' = none yet), ARGV[2] queue floor (the highest
-- position it acknowledged), ARGV[3] tick floor (the last tick it applied; '0' = none),
-- ARGV[4] serving floor (the serving counter as its last write left it; '0' = none), ARGV[5]
-- arrival floor (the highest pre-queue arrival number it handed out, API.md section 6).
-- Returns {reset count, raised}: raised is the sum of 1 (queue), 2 (tick), 4 (serving), 8
-- (the reset count itself was lost) and 16 (the pre-queue's arrival counter), 0 when nothing was, or -1 when the event was reset since
-- the count the process knows (nothing changed).
-- The serving counter is raised only along with a loss seen elsewhere (the queue, the arrivals
-- or the tick below its floor, or the reset count lost): an operator may lower it from any process.
-- Floors are passed as text and written as given (Lua's own number formatting keeps 14 digits).
local resets = tonumber(redis.call('GET', KEYS[2]) or '0')
local lost = false
if ARGV[1] ~= '' then
  local known = tonumber(ARGV[1])
  if resets > known then return {resets, -1} end
  if resets < known then
    redis.call('SET', KEYS[2], ARGV[1])
    resets = known
    lost = true
  end
end
local raised = 0
if tonumber(redis.call('HGET', KEYS[1], 'queue') or '0') < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'queue', ARGV[2])
  raised = raised + 1
end
if tonumber(redis.call('HGET', KEYS[1], 'pq') or '0') < tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], 'pq', ARGV[5])
  raised = raised + 16
end
if ARGV[3] ~= '0' and tonumber(redis.call('GET', KEYS[3]) or '0') < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], ARGV[3])
  raised = raised + 2
end
if (lost or raised > 0) and tonumber(redis.call('HGET', KEYS[1], 'serving') or '0') < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'serving', ARGV[4])
  raised = raised + 4
end
if lost then raised = raised + 8 end
return {resets, raised}
