-- add-multi.lua: add.lua's requests, with wrk's threads spread over several
-- groupied processes sharing one PostgreSQL database: thread i talks to the
-- (i mod N)-th port of BENCH_PORTS ("20001 20002 ..."), so N processes get
-- an equal share of the connections. With one port it is add.lua.
local ports = {}
for p in string.gmatch(os.getenv("BENCH_PORTS"), "%d+") do ports[#ports + 1] = p end
local next_thread = 0

function setup(thread)
  local port = ports[next_thread % #ports + 1]
  next_thread = next_thread + 1
  thread.addr = wrk.lookup("127.0.0.1", port)[1]
end

dofile(os.getenv("BENCH_DIR") .. "/add.lua")
