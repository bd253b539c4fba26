-- Re-create a waiting visitor's place from a signed place receipt (place-receipts.ts) after the
-- store lost it: the caller verified the receipt, and that the request id carries its position.
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] reset count string, KEYS[4]
-- restore floor string ("<era> <state>": 'o <m>' while nothing was handed out in the era above
-- m, the counter its restores raised; else the first position the era handed out).
-- ARGV[1] position, ARGV[2] entry time, ARGV[3] the receipt's reset count, ARGV[4] the era the
-- caller read ('' = none), ARGV[5] '1' when the request id verifies under that era (the era
-- survived: only the counter went back), ARGV[6] a fresh era for a queue that has none.
-- Returns {era} once the place exists at that position in the queue's era, '' when it cannot
-- be re-created (a reset since, or the position was handed out again in this era), or
-- {'retry'} when the era changed since the caller read it.
-- Safe against duplicates: a position is re-created only below the first position the era
-- handed out, or while the era handed out none (the counter is then raised to it, so no later
-- enqueue gets it).
local position, entryTime = tonumber(ARGV[1]), ARGV[2]
if tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[3]) then return '' end
local state = redis.call('HMGET', KEYS[1], 'era', 'queue')
local era, queue = state[1], tonumber(state[2] or '0')
if (era or '') ~= ARGV[4] then return {'retry'} end
local member = string.format('%d', position) .. ':' .. entryTime

local function entered()
  -- The position's entry time, unless the changes already read it so (entry-of.lua).
  local change = redis.call('ZREVRANGEBYSCORE', KEYS[2], position, '-inf', 'LIMIT', 0, 1)[1]
  if not change or string.match(change, ':(%-?%d+)$') ~= entryTime then
    redis.call('ZADD', KEYS[2], position, member)
  end
end

if ARGV[5] == '1' then
  -- The era survived (a failover to a replica that lacked the last writes): the id is valid
  -- again once the counter covers it, and no later enqueue gets the position.
  if queue < position then redis.call('HSET', KEYS[1], 'queue', position) end
  entered()
  return {era}
end

if not era then
  era = ARGV[6]
  redis.call('HSET', KEYS[1], 'era', era)
end
local floor = redis.call('GET', KEYS[4])
local first = nil -- the first position this era handed out, once known
local open = nil -- while none: the counter as the last restore left it
if floor and string.sub(floor, 1, #era + 1) == era .. ' ' then
  local rest = string.sub(floor, #era + 2)
  if string.sub(rest, 1, 2) == 'o ' then
    open = tonumber(string.sub(rest, 3))
    local handed = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. open, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if handed[2] then first = tonumber(handed[2]) end
  else
    first = tonumber(rest)
  end
else
  local handed = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if handed[2] then first = tonumber(handed[2]) end
end
if first then
  redis.call('SET', KEYS[4], era .. ' ' .. string.format('%d', first))
  if position >= first then return '' end
  entered()
  return {era}
end
if queue < position then
  queue = position
  redis.call('HSET', KEYS[1], 'queue', position)
end
redis.call('SET', KEYS[4], era .. ' o ' .. string.format('%d', queue))
entered()
return {era}
