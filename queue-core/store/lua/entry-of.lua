-- Included in front of the scripts that look a request id up (request-ids.ts): the caller
-- verified the id's MAC against an era and passes what it carries.
-- entryOf(counters hash, entry-time changes zset, position, era) returns the position's entry
-- time, or nil when the id is not of this queue: another era (a reset), or a position not
-- handed out.
local function entryOf(countersKey, timesKey, position, era)
  local state = redis.call('HMGET', countersKey, 'era', 'queue')
  if state[1] ~= era or tonumber(position) > tonumber(state[2] or '0') then return nil end
  local change = redis.call('ZREVRANGEBYSCORE', timesKey, position, '-inf', 'LIMIT', 0, 1)[1]
  return change and tonumber(string.match(change, ':(%-?%d+)$'))
end

-- The time recorded for `score` in a zset of changes (score n, member "n:time"), as text.
local function timeAt(timesKey, score)
  local change = redis.call('ZREVRANGEBYSCORE', timesKey, score, '-inf', 'LIMIT', 0, 1)[1]
  return change and string.match(change, ':(%-?%d+)$')
end

-- The position a pre-queue's draw gave arrival `arrival` (close-prequeue.lua, draw-slice.lua),
-- or nil while the draw is not done.
local function drawnPosition(countersKey, ranksKey, arrival)
  local draw = redis.call('HMGET', countersKey, 'draw', 'drawBase', 'drawShuffled', 'drawN')
  if draw[1] ~= 'drawn' then return nil end
  local rank = tonumber(arrival)
  if rank > tonumber(draw[4]) then return nil end
  if draw[3] == '1' then
    local offset = (rank - 1) * 4
    rank = struct.unpack('>I4', redis.call('GETRANGE', ranksKey, offset, offset + 3))
  end
  return tonumber(draw[2]) + rank
end

-- placeOf(counters, entry-time changes, arrival-time changes, ranks, claimed, era): `claimed` is
-- the position an id carries, or 'a' and the arrival number of a pre-queue id. Returns nil when
-- the id is not of this queue, else the position (0 while a pre-queued id waits for its draw)
-- and the entry time (the pre-queue's join time until then).
local function placeOf(countersKey, timesKey, arrivalTimesKey, ranksKey, claimed, era)
  if string.sub(claimed, 1, 1) ~= 'a' then
    local entryTime = entryOf(countersKey, timesKey, claimed, era)
    if not entryTime then return nil end
    return tonumber(claimed), entryTime
  end
  local arrival = string.sub(claimed, 2)
  local state = redis.call('HMGET', countersKey, 'era', 'pq')
  if state[1] ~= era or tonumber(arrival) > tonumber(state[2] or '0') then return nil end
  local position = drawnPosition(countersKey, ranksKey, arrival)
  if position then return position, entryOf(countersKey, timesKey, position, era) end
  return 0, tonumber(timeAt(arrivalTimesKey, arrival))
end
