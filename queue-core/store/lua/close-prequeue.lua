-- Close an event's pre-queue (API.md section 6; included in front of enqueue.lua and
-- draw-close.lua). Its state lives in the counters hash: 'pq' (arrivals so far, each visitor's
-- arrival number is carried by their request id), 'draw' (absent while open, then 'drawing',
-- then 'drawn'), 'drawN' (participants), 'drawWritten' (participants whose drawn rank is
-- written), 'drawBase' (the position before the first participant's), 'drawShuffled' ('1': the
-- ranks are in the ranks string, else arrival order), 'drawClosedAt', 'drawnAt'.
-- Closing moves the queue counter past the participants, so later arrivals take the positions
-- after them, and records that those positions were handed out now (entry-time changes zset).
-- In arrival order (or with nobody) the draw is done at once: arrival n is position base + n.
-- A closed pre-queue is left as it is. Numbers are written with '%d' (Lua keeps 14 digits).
local function closePrequeue(countersKey, entryTimesKey, now, shuffle)
  local values = redis.call('HMGET', countersKey, 'draw', 'pq', 'queue')
  if values[1] then return end
  local participants = tonumber(values[2] or '0')
  local base = tonumber(values[3] or '0')
  local phase, written = 'drawing', 0
  if participants == 0 or shuffle ~= '1' then
    phase, written = 'drawn', participants
    redis.call('HSET', countersKey, 'drawnAt', now)
  end
  redis.call('HSET', countersKey, 'draw', phase, 'drawN', string.format('%d', participants),
    'drawWritten', string.format('%d', written), 'drawBase', string.format('%d', base),
    'drawShuffled', shuffle, 'drawClosedAt', now, 'queue', string.format('%d', base + participants))
  if participants > 0 then
    local first = string.format('%d', base + 1)
    redis.call('ZADD', entryTimesKey, first, first .. ':' .. now)
    redis.call('HSET', countersKey, 'lastEntryTime', now)
  end
end
