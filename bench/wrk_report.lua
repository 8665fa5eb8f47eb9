-- wrk script of bench/http_bench.py: counts answers served from the page cache and 5xx answers,
-- and prints the summary as one JSON line (latencies in microseconds). Given a file of paths
-- (`wrk ... -s wrk_report.lua URL -- paths.txt`), each request asks for one of them at random:
-- the mixed passes, where nearly every request is a different URL.
local threads = {}
local paths = nil

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  hits = 0
  server_errors = 0
  if args[1] then
    paths = {}
    for line in io.lines(args[1]) do
      if #line > 0 then paths[#paths + 1] = line end
    end
    -- Each thread its own sequence, different in every run.
    math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
  end
end

function request()
  if paths then
    return wrk.format("GET", paths[math.random(#paths)])
  end
  return wrk.format()
end

function response(status, headers, body)
  if headers["X-Page-Cache"] == "hit" then
    hits = hits + 1
  end
  if status >= 500 then
    server_errors = server_errors + 1
  end
end

function done(summary, latency, requests)
  local total_hits, total_5xx = 0, 0
  for _, thread in ipairs(threads) do
    total_hits = total_hits + thread:get("hits")
    total_5xx = total_5xx + thread:get("server_errors")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "status_errors": %d, "server_errors": %d, "cache_hits": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status,
    total_5xx, total_hits))
end
