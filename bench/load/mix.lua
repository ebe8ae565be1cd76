-- wrk script for bench/load's day mix: each request is a random (user, page) pair of the file
-- named by the first argument (lines "cookie<TAB>path"); responses that are not 200 are counted,
-- and the figures printed, as report.lua does.
local pairs_ = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  not_ok = 0
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

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local not_200 = 0
  for _, thread in ipairs(threads) do
    not_200 = not_200 + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format(
    'KIPPLAN-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "not_200": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, not_200,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
