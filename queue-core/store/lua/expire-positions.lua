-- The periodic expiry job (AWS set_max_queue_position_expired): walk history rows above
-- the expiry boundary, oldest first, and move the boundary over every row whose boundary
-- position was reached and left unclaimed for the expiry period. Stops at the first row
-- that has not expired; walks at most ARGV[4] rows per call.
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] history zset,
-- KEYS[4] history rows hash, KEYS[5] all sessions zset by position.
-- ARGV[1] now, ARGV[2] expiry seconds, ARGV[3] '1' = auto-advance, ARGV[4] max rows,
-- ARGV[5] largest serving value, ARGV[6] '1': the event counts present visitors (API.md
-- section 6): auto-advance makes up only for positions the inlet let in (KEYS[6], the present
-- positions zset), as a `credit` the next presence advance admits more by (increment-serving.lua).
-- Returns {maxExpiredPosition, newlyExpired, advancedBy, serving}.
-- Numbers are turned into text with '%d': Lua's own conversion keeps 14 digits only.
local now, expiry, autoAdvance = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local maxServing = tonumber(ARGV[5])
local counters = redis.call('HMGET', KEYS[1], 'queue', 'serving', 'maxExpiredPosition', 'expired', 'lostBelow')
-- Positions up to lostBelow were handed out in an era the store lost: already counted as
-- expired (guard-counters.lua), not again here.
local lostBelow = tonumber(counters[5] or '0')
local queue = tonumber(counters[1] or '0')
local serving = tonumber(counters[2] or '0')
local boundaryBefore = tonumber(counters[3] or '0')
local previous = boundaryBefore
local expired = tonumber(counters[4] or '0')
local newlyExpired, advancedBy = 0, 0

-- entry time of a position: the latest change recorded at or before it
local function entryTimeOf(position)
  local change = redis.call('ZREVRANGEBYSCORE', KEYS[2], position, '-inf', 'LIMIT', 0, 1)[1]
  if not change then return nil end -- a position of a lost era: its time went with it
  return tonumber(string.match(change, ':(%-?%d+)$'))
end

local rows = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. string.format('%d', previous), '+inf', 'LIMIT', 0,
  tonumber(ARGV[4]))
for _, rowServing in ipairs(rows) do
  local boundary = math.min(tonumber(rowServing), queue)
  if boundary <= previous then break end
  local row = redis.call('HGET', KEYS[4], rowServing)
  local reached = tonumber(string.match(row, '^(%-?%d+):'))
  local reference = math.max(entryTimeOf(boundary) or reached, reached)
  if now - reference < expiry then break end

  -- Counted from the sessions themselves, not from the rows' `served`: a row's count is
  -- lost when a decrease drops the row, the sessions stay.
  local from = math.max(previous, lostBelow)
  local expiredHere, claimed = 0, 0
  if boundary > from then
    claimed = redis.call('ZCOUNT', KEYS[5], '(' .. string.format('%d', from),
      string.format('%d', boundary))
    expiredHere = math.max(0, boundary - from - claimed)
  end
  local boundaryOf = previous
  previous = boundary
  expired = expired + expiredHere
  newlyExpired = newlyExpired + expiredHere
  local advance = 0
  if ARGV[6] == '1' then
    if autoAdvance then
      local letIn = redis.call('ZCOUNT', KEYS[6], '(' .. string.format('%d', boundaryOf), string.format('%d', boundary))
      if letIn > claimed then redis.call('HINCRBY', KEYS[1], 'credit', letIn - claimed) end
    end
  elseif autoAdvance then advance = math.min(expiredHere, maxServing - serving) end
  if advance > 0 then
    serving = serving + advance
    advancedBy = advancedBy + advance
    -- serving only grows here, so the new row is above every existing one
    local value = string.format('%d', serving)
    redis.call('ZADD', KEYS[3], value, value)
    redis.call('HSET', KEYS[4], value, ARGV[1] .. ':0:0')
  end
end

if previous ~= boundaryBefore then
  redis.call('HSET', KEYS[1], 'maxExpiredPosition', string.format('%d', previous),
    'expired', string.format('%d', expired), 'serving', string.format('%d', serving))
end
return {previous, newlyExpired, advancedBy, serving}
