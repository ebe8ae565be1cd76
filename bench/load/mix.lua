-- wrk script for bench/load's day mix: each request is a random (user, page) pair of the file
-- named by the first argument (lines "cookie<TAB>path"); what is counted and printed is
-- report.lua's, loaded from beside this file.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local count_setup, count_init = setup, init
local pairs_ = {}
local started = 0

function setup(thread)
  count_setup(thread)
  started = started + 1
  thread:set("id", started)
end

function init(args)
  count_init(args)
  for line in io.lines(args[1]) do
    local cookie, path = line:match("^([^\t]*)\t(.*)$")
    table.insert(pairs_, {cookie, path})
  end
  math.randomseed(os.time() + id * 7919)
end

function request()
  local pair = pairs_[math.random(#pairs_)]
  return wrk.format("GET", pair[2], {["Cookie"] = pair[1], ["Accept-Language"] = "ko"})
end
