-- The regression guard (API.md section 5): sent ahead of the first write of an event in each
-- event-loop turn that hands out a position or moves a counter, in the same socket write. It
-- raises the event's counters to what the calling process has itself acknowledged, so a store
-- that lost writes (failed over to a lagging replica, restarted empty) never makes that process
-- hand out a position, or apply a periodic tick, it already gave.
-- A reset is told apart from a loss by the event's reset count (resetsKey), which every reset
-- increments and never deletes: a count above the one the process knows is a reset since (the
-- process's floors no longer apply); a count below it means the store lost that too.
-- guardCounters(counters hash, reset count string, last periodic tick string, known, queueFloor,
-- tickFloor, servingFloor, arrivalFloor): `known` is the reset count the process knows ('' = none
-- yet), queueFloor the highest position it acknowledged, tickFloor the last tick it applied ('0' =
-- none), servingFloor the serving counter as its last write left it ('0' = none), arrivalFloor
-- the highest pre-queue arrival number it handed out (API.md section 6); all as text.
-- Included in front of guard.lua (the guard alone, ahead of a counter move) and of enqueue.lua
-- (the guard in the same script as the turn's arrivals).
-- Returns {reset count, raised}: raised is the sum of 1 (queue), 2 (tick), 4 (serving), 8
-- (the reset count itself was lost) and 16 (the pre-queue's arrival counter), 0 when nothing
-- was, or -1 when the event was reset since the count the process knows (nothing changed).
-- The serving counter is raised only along with a loss seen elsewhere (the queue, the arrivals
-- or the tick below its floor, or the reset count lost): an operator may lower it from any process.
-- Floors are passed as text and written as given (Lua's own number formatting keeps 14 digits).
local function guardCounters(countersKey, resetsKey, lastTickKey, known, queueFloor, tickFloor, servingFloor, arrivalFloor)
  local resets = tonumber(redis.call('GET', resetsKey) or '0')
  local lost = false
  if known ~= '' then
    local knownCount = tonumber(known)
    if resets > knownCount then return {resets, -1} end
    if resets < knownCount then
      redis.call('SET', resetsKey, known)
      resets = knownCount
      lost = true
    end
  end
  local raised = 0
  if tonumber(redis.call('HGET', countersKey, 'queue') or '0') < tonumber(queueFloor) then
    redis.call('HSET', countersKey, 'queue', queueFloor)
    raised = raised + 1
  end
  if tonumber(redis.call('HGET', countersKey, 'pq') or '0') < tonumber(arrivalFloor) then
    redis.call('HSET', countersKey, 'pq', arrivalFloor)
    raised = raised + 16
  end
  if tickFloor ~= '0' and tonumber(redis.call('GET', lastTickKey) or '0') < tonumber(tickFloor) then
    redis.call('SET', lastTickKey, tickFloor)
    raised = raised + 2
  end
  if (lost or raised > 0) and tonumber(redis.call('HGET', countersKey, 'serving') or '0') < tonumber(servingFloor) then
    redis.call('HSET', countersKey, 'serving', servingFloor)
    raised = raised + 4
  end
  if lost then raised = raised + 8 end
  return {resets, raised}
end
