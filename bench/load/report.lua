-- wrk script for bench/load: counts every response that is not 200 (wrk itself counts only
-- statuses of 400 and over, so a redirect to the login page would pass unseen), and prints the
-- run's figures as one JSON line after "KIPPLAN-RESULT ".
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
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
