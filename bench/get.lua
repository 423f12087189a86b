-- get.lua: GET with the device token (the get and list workloads).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
