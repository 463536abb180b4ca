-- wrk script shared by every scripts/bench-http and scripts/bench-pages run. It sends wrk's plain request (GET of the URL),
-- adding `Authorization: Bearer $BENCH_AUTH` when that variable is set, and at the end prints one
-- machine-readable line after wrk's own summary:
--   RESULT requests=N duration_us=N rps=X p50_us=N p90_us=N p99_us=N max_us=N non2xx3xx=N
--          connect_errors=N read_errors=N write_errors=N timeouts=N [n200=N n412=N nother=N resyncs=N]
-- The bracketed counters come from scripts that count answers in response() (transition.lua);
-- this script defines no response(), so wrk does not have to hand every answer to Lua.

local threads = {}

local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. auth
end
-- A page of the portal: the session cookie instead of a bearer token (scripts/bench-pages).
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
   wrk.headers["Cookie"] = "apex_session=" .. cookie
   wrk.headers["Accept"] = "text/html"
end

function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   local line = string.format(
      "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx3xx=%d"
         .. " connect_errors=%d read_errors=%d write_errors=%d timeouts=%d",
      summary.requests, summary.duration, summary.requests / seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout)
   local counted = false
   local sums = { n200 = 0, n412 = 0, nother = 0, resyncs = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(sums) do
         local value = thread:get(key)
         if value then
            sums[key] = sums[key] + value
            counted = true
         end
      end
   end
   if counted then
      line = line .. string.format(" n200=%d n412=%d nother=%d resyncs=%d",
                                   sums.n200, sums.n412, sums.nother, sums.resyncs)
   end
   io.write(line .. "\n")
end
