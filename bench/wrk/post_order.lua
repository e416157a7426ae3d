-- POST /api/v1/orders with a three-line order. Argument "idempotency": every request carries a
-- fresh Idempotency-Key (unique per thread, request and run), so each one creates an order.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)
end

local counter = 0
local idempotent = false
local run = tostring(os.time())
local body = '{"user_id":"bench-writer","items":[' ..
  '{"product_id":"p-1","quantity":2,"price":"19.99"},' ..
  '{"product_id":"p-2","quantity":1,"price":"5.00"},' ..
  '{"product_id":"p-3","quantity":3,"price":"0.25"}]}'

function init(args)
  idempotent = args[1] == "idempotency"
end

function request()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json" }
  if idempotent then
    headers["Idempotency-Key"] = "bench-" .. run .. "-" .. tostring(tag) .. "-" .. counter
  end
  return wrk.format("POST", "/api/v1/orders", headers, body)
end
