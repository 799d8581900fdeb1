-- wrk script for the queryPage benchmark (bench/wrk.py runs it).
-- Headers come from wrk's -H flags. The body is WRK_BODY, or, when WRK_PAGE_FROM and
-- WRK_PAGE_TO are set, WRK_BODY_TEMPLATE with __PAGE__ replaced by a random page number in
-- that range for every request (seeded by WRK_SEED). done() prints one JSON line.

wrk.method = "POST"

local page_from = tonumber(os.getenv("WRK_PAGE_FROM") or "")
local page_to = tonumber(os.getenv("WRK_PAGE_TO") or "")

if page_from and page_to then
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
