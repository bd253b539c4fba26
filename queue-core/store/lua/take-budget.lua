-- Take one request from a named budget (gcra.lua, included in front).
-- KEYS[1] the budget (GCRA arrival time, ms; expires when the budget is full again).
-- ARGV[1] budget per minute, ARGV[2] now in ms.
-- Returns 0 when one request was taken, else the seconds (>= 1) until one would be (nothing taken).
return takeRateToken(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[1]))
