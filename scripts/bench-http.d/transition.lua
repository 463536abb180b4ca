-- wrk script for scripts/bench-http: fires `file-change-notice` on one accredited application, again
-- and again, each request carrying the version the previous answer reported:
--   POST <url> (…/api/v1/applications/{id}/transitions)
--   Authorization: Bearer $BENCH_AUTH      (the practice admin: only they may file a change notice)
--   If-Match: <ETag of the previous answer; $BENCH_IF_MATCH for the first request>
--   {"action":"file-change-notice","payload":{"text":"…"}}
-- Run it with one connection per thread (-t1 -c1): wrk builds a connection's next request only after
-- its previous answer has gone through response(), so each thread is strictly sequential. Several
-- threads would race for the same application and get 412s.
-- Counts 200, 412 and other answers per thread. After a non-200 answer that carries no ETag the
-- version is read from the answer's body ("the record is at version N"), so one stale answer does not
-- turn every later request into a 412; each such recovery counts as a resync.

local dir = os.getenv("BENCH_LUA_DIR") or "scripts/bench-http.d"
dofile(dir .. "/report.lua")

n200, n412, nother, resyncs = 0, 0, 0, 0

local if_match = os.getenv("BENCH_IF_MATCH") or '"v1"'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"action":"file-change-notice","payload":{"text":"Benchmark change notice (scripts/bench-http)."}}'

function request()
   wrk.headers["If-Match"] = if_match
   return wrk.format()
end

local function etag_of(headers)
   for name, value in pairs(headers) do
      if string.lower(name) == "etag" then return value end
   end
   return nil
end

function response(status, headers, body)
   if status == 200 then
      n200 = n200 + 1
   elseif status == 412 then
      n412 = n412 + 1
   else
      nother = nother + 1
   end
   local etag = etag_of(headers)
   if etag then
      if_match = etag
   elseif status ~= 200 and body then
      local version = string.match(body, "at version (%d+)") or string.match(body, '"version"%s*:%s*(%d+)')
      if version then
         if_match = '"v' .. version .. '"'
         resyncs = resyncs + 1
      end
   end
end
