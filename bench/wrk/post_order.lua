-- POST /api/v1/orders with a three-line order, the same bytes every time. No request() function:
-- wrk then builds the request once instead of calling Lua for each one, which on two shared
-- cores leaves the server and PostgreSQL the CPU that the client does not need.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user_id":"bench-writer","items":[' ..
  '{"product_id":"p-1","quantity":2,"price":"19.99"},' ..
  '{"product_id":"p-2","quantity":1,"price":"5.00"},' ..
  '{"product_id":"p-3","quantity":3,"price":"0.25"}]}'
