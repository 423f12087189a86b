-- add.lua: POST /api/groups/{id}/members/add with 20 numbers drawn from the
-- benchmark's directory (see setup.c), mixed so that about half are added
-- and the rest fail for each of the other reasons.
local token = os.getenv("BENCH_TOKEN")
local groups = tonumber(os.getenv("BENCH_GROUPS"))
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. token,
}

-- Each wrk thread runs this file in its own Lua state: seed them apart.
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))

local function user(i) return string.format("62811%08d", i) end

local function pick(g)
  local r = math.random(100)
  if r <= 50 then                     -- registered, addable: added
    return user(math.random(0, 99999) * 10 + math.random(0, 7))
  elseif r <= 60 then                 -- a starting member of g: ALREADY_MEMBER
    return user((g * 100 + math.random(0, 7)) % 1000000)
  elseif r <= 70 then                 -- not in the directory: USER_NOT_FOUND
    return string.format("62812%08d", math.random(0, 99999999))
  elseif r <= 80 then                 -- has blocked the device: USER_BLOCKED
    return user(math.random(0, 99999) * 10 + 9)
  elseif r <= 90 then                 -- lets nobody add them: PRIVACY_SETTINGS
    return user(math.random(0, 99999) * 10 + 8)
  else                                -- INVALID_NUMBER (the server cleans nothing)
    return "+" .. user(math.random(0, 999999))
  end
end

request = function()
  local g = math.random(1, groups)
  local parts = {}
  for i = 1, 20 do parts[i] = pick(g) end
  local body = '{"participants":["' .. table.concat(parts, '","') .. '"]}'
  return wrk.format("POST", "/api/groups/" .. g .. "/members/add", headers, body)
end
