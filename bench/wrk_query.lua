-- wrk script for the queryPage benchmark (bench/wrk.py runs it).
-- Headers come from wrk's -H flags. The body is WRK_BODY, or, when WRK_PAGE_FROM and
-- WRK_PAGE_TO are set, WRK_BODY_TEMPLATE with __PAGE__ replaced by a random page number in
-- that range for every request (seeded by WRK_SEED), or, when WRK_WINDOW_FROM_S is set,
-- with __STR__ and __END__ replaced by a window of WRK_WINDOW_SPAN_S seconds starting at a
-- random microsecond of the hour after WRK_WINDOW_FROM_S: a window nobody asked for before
-- (a cache miss). done() prints one JSON line.

wrk.method = "POST"

local page_from = tonumber(os.getenv("WRK_PAGE_FROM") or "")
local page_to = tonumber(os.getenv("WRK_PAGE_TO") or "")

local window_from = tonumber(os.getenv("WRK_WINDOW_FROM_S") or "")

local function iso(seconds, micros)
  return os.date("!%Y-%m-%dT%H:%M:%S", seconds) .. string.format(".%06d+00:00", micros)
end

if window_from then
  local span = tonumber(os.getenv("WRK_WINDOW_SPAN_S"))
  local template = os.getenv("WRK_BODY_TEMPLATE")
  math.randomseed(os.time() + tonumber(os.getenv("WRK_SEED") or "1"))
  request = function()
    local seconds = window_from + math.random(0, 3599)
    local micros = math.random(0, 999999)
    local body = template:gsub("__STR__", iso(seconds, micros), 1)
    body = body:gsub("__END__", iso(seconds + span, micros), 1)
    return wrk.format(nil, nil, nil, body)
  end
elseif page_from and page_to then
  local template = os.getenv("WRK_BODY_TEMPLATE")
  local prefix, suffix = template:match("^(.-)__PAGE__(.*)$")
  math.randomseed(tonumber(os.getenv("WRK_SEED") or "1"))
  request = function()
    local body = prefix .. tostring(math.random(page_from, page_to)) .. suffix
    return wrk.format(nil, nil, nil, body)
  end
else
  wrk.body = os.getenv("WRK_BODY")
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,' ..
    '"timeouts":%d,"latency_mean_us":%.1f,"latency_max_us":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
