-- The newest ARGV[1] serving-history rows, oldest first.
-- KEYS[1] history zset, KEYS[2] history rows hash.
-- Returns a flat list {serving, "time:served:0", ...}.
local servings = redis.call('ZRANGE', KEYS[1], -tonumber(ARGV[1]), -1)
local result = {}
for _, serving in ipairs(servings) do
  result[#result + 1] = serving
  result[#result + 1] = redis.call('HGET', KEYS[2], serving)
end
return result
