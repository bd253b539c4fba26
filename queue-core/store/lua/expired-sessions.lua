-- One page of request ids whose session expired (expiresAt < now), any status, oldest
-- first. KEYS[1] all sessions zset (by expiresAt).
-- ARGV[1] now, ARGV[2] limit, ARGV[3] request id the previous page ended with ('' = start).
-- Returns {flag, id...}: flag 'more' when another page exists, 'end' when not,
-- 'bad_cursor' when the cursor names no session.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local start = 0
if ARGV[3] ~= '' then
  local rank = redis.call('ZRANK', KEYS[1], ARGV[3])
  if not rank then return {'bad_cursor'} end
  start = rank + 1
end
-- one item beyond the page tells whether another page exists
local items = redis.call('ZRANGE', KEYS[1], start, start + limit, 'WITHSCORES')
local result = {'end'}
for i = 1, #items, 2 do
  if tonumber(items[i + 1]) >= now then break end
  if #result > limit then
    result[1] = 'more'
    break
  end
  result[#result + 1] = items[i]
end
return result
