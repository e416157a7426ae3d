-- The order of post_order.lua with a fresh Idempotency-Key on every request (unique per thread,
-- request and run), so that each one creates an order.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "post_order.lua")

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)
end

local counter = 0
local run = tostring(os.time())

function request()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = "bench-" .. run .. "-" .. tostring(tag) .. "-" .. counter }
  return wrk.format("POST", "/api/v1/orders", headers, wrk.body)
end
