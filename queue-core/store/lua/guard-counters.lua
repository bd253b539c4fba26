-- The regression guard (API.md section 5): sent ahead of the first write of an event in each
-- event-loop turn that hands out a position or moves a counter, in the same socket write. It
-- raises the event's counters to what the calling process has itself acknowledged, so a store
-- that lost writes (failed over to a lagging replica, restarted empty) never makes that process
-- hand out a position, or apply a periodic tick, it already gave.
-- A reset is told apart from a loss by the event's reset count (resetsKey), which every reset
-- increments and never deletes: a count above the one the process knows is a reset since (the
-- process's floors no longer apply); a count below it means the store lost that too.
-- guardCounters(counters hash, reset count string, last periodic tick string, known, queueFloor,
-- tickFloor, servingFloor, arrivalFloor, knownEra, sessionsKey, lastSession): `known` is the
-- reset count the process knows
-- ('' = none yet), queueFloor the highest position it acknowledged, tickFloor the last tick it
-- applied ('0' = none), servingFloor the serving counter as its last write left it ('0' = none),
-- arrivalFloor the highest pre-queue arrival number it handed out (API.md section 6), knownEra
-- the queue's era as the process last saw it ('' = none), sessionsKey the sessions hash and
-- lastSession the request id of the last session the process issued ('' = none); all as text.
-- That session missing from the store is a loss (the sessions hash keeps every session until a
-- reset): replication keeps the writes in order, so a store without it lost the writes after
-- it, and with it lost none of this process's sessions up to it (the loss hold).
-- Positions the queue counter is raised over in an era other than the one they were handed out
-- in (the era gone, or another one drawn since) can never be claimed: their request ids are of
-- the lost era. They are counted as expired, and the counters' `lostBelow` remembers the
-- highest of them, so the max-size inlet passes them without waiting for them (inlet.ts) and the
-- expiry job does not count them again (expire-positions.lua).
-- Included in front of guard.lua (the guard alone, ahead of a counter move) and of enqueue.lua
-- (the guard in the same script as the turn's arrivals).
-- Returns {reset count, raised, era}: raised is the sum of 1 (queue), 2 (tick), 4 (serving), 8
-- (the reset count itself was lost), 16 (the pre-queue's arrival counter), 32 (positions of a
-- lost era counted as expired) and 64 (the last session the process issued is gone), 0 when nothing
-- was, or -1 when the event was reset since the count the process knows (nothing changed); era
-- is the queue's era as the guard found it ('' = none): an era gone or replaced without a reset
-- is a loss every process can see, whatever its floors (the loss hold, hold-sessions.lua).
-- The serving counter is raised only along with a loss seen elsewhere (the queue, the arrivals
-- or the tick below its floor, or the reset count lost): an operator may lower it from any process.
-- Floors are passed as text and written as given (Lua's own number formatting keeps 14 digits).
local function guardCounters(countersKey, resetsKey, lastTickKey, known, queueFloor, tickFloor, servingFloor, arrivalFloor, knownEra, sessionsKey, lastSession)
  local resets = tonumber(redis.call('GET', resetsKey) or '0')
  local lost = false
  if known ~= '' then
    local knownCount = tonumber(known)
    if resets > knownCount then return {resets, -1, redis.call('HGET', countersKey, 'era') or ''} end
    if resets < knownCount then
      redis.call('SET', resetsKey, known)
      resets = knownCount
      lost = true
    end
  end
  local raised = 0
  local era = redis.call('HGET', countersKey, 'era')
  local queue = tonumber(redis.call('HGET', countersKey, 'queue') or '0')
  if queue < tonumber(queueFloor) then
    redis.call('HSET', countersKey, 'queue', queueFloor)
    raised = raised + 1
    if not era or (knownEra ~= '' and era ~= knownEra) then
      redis.call('HINCRBY', countersKey, 'expired', tonumber(queueFloor) - queue)
      redis.call('HSET', countersKey, 'lostBelow', queueFloor)
      raised = raised + 32
    end
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
  if lastSession ~= '' and redis.call('HEXISTS', sessionsKey, lastSession) == 0 then raised = raised + 64 end
  return {resets, raised, era or ''}
end
