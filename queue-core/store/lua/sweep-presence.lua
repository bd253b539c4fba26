-- Absent visitors (API.md section 6): forget the presence of at most ARGV[2] positions not seen
-- since ARGV[1] (oldest first; a waiting one leaves the present positions, a returned one is no
-- longer back; one the inlet let in stays let in), drop at most ARGV[2] let-in positions behind
-- the expiry boundary (they can claim nothing any more), and record the counts in the counters
-- (`present`, `absent`): rule 6, the work does not grow with the number of absent visitors.
-- KEYS[1] counters hash, KEYS[2] present positions zset, KEYS[3] last-seen zset, KEYS[4]
-- returned positions zset, KEYS[5] all sessions zset by position.
-- ARGV[1] absent-before epoch second, ARGV[2] the most positions forgotten.
-- Returns {present, absent, outstanding} (outstanding: let in, not claimed, not expired).
local counters = redis.call('HMGET', KEYS[1], 'queue', 'serving', 'maxExpiredPosition', 'presenceFrom')
local queue, serving = tonumber(counters[1] or '0'), tonumber(counters[2] or '0')
local maxExpired = tonumber(counters[3] or '0')
-- Let in before the event counted presence: counted as the counters count them (below).
local presenceFrom = math.min(tonumber(counters[4] or counters[2] or '0'), serving)
local servingText = string.format('%d', serving)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #stale > 0 then
  local waiting = {}
  for _, member in ipairs(stale) do
    if tonumber(member) > serving then waiting[#waiting + 1] = member end
  end
  redis.call('ZREM', KEYS[3], unpack(stale))
  if #waiting > 0 then redis.call('ZREM', KEYS[2], unpack(waiting)) end
  redis.call('ZREM', KEYS[4], unpack(stale))
end
if maxExpired > 0 then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', maxExpired), 'LIMIT', 0,
    tonumber(ARGV[2]))
  if #gone > 0 then redis.call('ZREM', KEYS[2], unpack(gone)) end
end
local presentWaiting = redis.call('ZCOUNT', KEYS[2], '(' .. servingText, '+inf')
-- Within a window of a pre-queue's draw, its participants not seen since count as present
-- (increment-serving.lua).
local draw = redis.call('HMGET', KEYS[1], 'draw', 'drawBase', 'drawN', 'drawnAt')
if draw[1] == 'drawn' and tonumber(draw[4]) >= tonumber(ARGV[1]) then
  local drawEnd = tonumber(draw[2]) + tonumber(draw[3])
  if drawEnd > serving then
    presentWaiting = presentWaiting + (drawEnd - serving)
      - redis.call('ZCOUNT', KEYS[2], '(' .. servingText, string.format('%d', drawEnd))
  end
end
local present = presentWaiting + redis.call('ZCARD', KEYS[4])
local absent = math.max(0, queue - serving - presentWaiting)
redis.call('HSET', KEYS[1], 'present', present, 'absent', absent)
local high = string.format('%d', math.min(serving, queue))
local fromPosition = math.max(maxExpired, presenceFrom)
local low = '(' .. string.format('%d', fromPosition)
local outstanding = redis.call('ZCOUNT', KEYS[2], low, high) - redis.call('ZCOUNT', KEYS[5], low, high)
-- Let in before presence counted, not claimed, not expired (unclaimed ones count as outstanding).
if presenceFrom > maxExpired then
  local before = '(' .. string.format('%d', maxExpired)
  local upTo = string.format('%d', math.min(presenceFrom, queue))
  outstanding = outstanding + math.max(0, math.min(presenceFrom, queue) - maxExpired
    - redis.call('ZCOUNT', KEYS[5], before, upTo))
end
return {present, absent, math.max(0, outstanding)}
