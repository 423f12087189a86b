-- reject.lua: add requests to one group whose rate window is full, so the
-- real rate limit answers 429 to all but the first few.
local token = os.getenv("BENCH_TOKEN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"participants":["6281100000010","6281100000020"]}'
wrk.path = "/api/groups/1/members/add"
