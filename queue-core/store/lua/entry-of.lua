-- Included in front of the scripts that look a request id up (request-ids.ts): the caller
-- verified the id's MAC against an era and passes the position it carries.
-- entryOf(counters hash, entry-time changes zset, position, era) returns the position's entry
-- time, or nil when the id is not of this queue: another era (a reset), or a position not
-- handed out.
local function entryOf(countersKey, timesKey, position, era)
  local state = redis.call('HMGET', countersKey, 'era', 'queue')
  if state[1] ~= era or tonumber(position) > tonumber(state[2] or '0') then return nil end
  local change = redis.call('ZREVRANGEBYSCORE', timesKey, position, '-inf', 'LIMIT', 0, 1)[1]
  return change and tonumber(string.match(change, ':(%-?%d+)$'))
end
