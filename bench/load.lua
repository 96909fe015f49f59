-- The mixed citizen and inspector workload of bench/load.py, for wrk (LuaJIT).
--
-- Environment: BENCH_DATA (a Lua file returning the seeded data, written by load.py),
-- BENCH_OUT (where done() writes the figures), BENCH_PHASE (prefix of request ids and
-- idempotency keys, unique per wrk run), BENCH_SEED, BENCH_CAPTURE=1 (also keep some 2xx
-- bodies per route: the anchor serves bodies of the same size).
--
-- wrk measures one latency for all requests (and then "corrects" it for coordinated
-- omission); the per-route figures are raw and come from here: every
-- request carries X-Request-ID, the app (and the anchor) echo it, and response() matches
-- it to the route and the send time taken in request() (wrk starts its own clock right
-- after request() returns). A photo report is two requests: an upload, and once its id
-- is back, the report referencing it, sent as the next request of any connection.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } cityops_bench_timespec;
int clock_gettime(int clk_id, cityops_bench_timespec *tp);
]])
local timespec = ffi.new("cityops_bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local BOUNDARY = "cityopsbench7MA4YWxkTrZu0gW"
local data, phase, capture
local seq = 0
local inflight = {} -- request id -> {route, sent at, citizen index}
local creates = {} -- answered uploads: {citizen index, media id}
local uploads = {} -- multipart bodies, one per photo
local cumulative = {} -- {threshold, route}

-- Read by done() through thread:get: flat tables only.
latencies = {} -- "route#n" -> microseconds
counts = {} -- route -> n
statuses = {} -- "route status" -> responses
samples = {} -- "route status" -> first body (non-2xx only)
captured = {} -- "route#n" -> body (BENCH_CAPTURE only)
captured_n = {}

function init(args)
  data = dofile(os.getenv("BENCH_DATA"))
  phase = os.getenv("BENCH_PHASE") or "p"
  capture = os.getenv("BENCH_CAPTURE") == "1"
  math.randomseed(tonumber(os.getenv("BENCH_SEED") or "1"))
  for i, path in ipairs(data.photos) do
    local file = assert(io.open(path, "rb"))
    local photo = file:read("*a")
    file:close()
    uploads[i] = "--" .. BOUNDARY .. "\r\n"
      .. 'Content-Disposition: form-data; name="file"; filename="IMG_' .. i .. '.jpg"\r\n'
      .. "Content-Type: image/jpeg\r\n\r\n" .. photo .. "\r\n--" .. BOUNDARY .. "--\r\n"
  end
  local total = 0
  for _, pair in ipairs(data.mix) do
    total = total + pair[2]
    cumulative[#cumulative + 1] = { total, pair[1] }
  end
  for i = 1, #cumulative do
    cumulative[i][1] = cumulative[i][1] / total
  end
end

local function pick(list)
  return list[math.random(#list)]
end

local function citizen_headers(index)
  local citizen = data.citizens[index]
  return { Authorization = citizen.auth, ["X-Forwarded-For"] = citizen.ip }
end

local function next_request(rid)
  local pending = table.remove(creates)
  if pending then
    local headers = citizen_headers(pending[1])
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = rid
    local report = pick(data.reports)
    return "create", pending[1], "POST", "/api/citizen/reports", headers,
      report[1] .. pending[2] .. report[2]
  end
  local x = math.random()
  local route = cumulative[#cumulative][2]
  for _, step in ipairs(cumulative) do
    if x < step[1] then
      route = step[2]
      break
    end
  end
  local who = math.random(#data.citizens)
  -- Public routes: no token, but each phone has its own address (the per-IP limits).
  local public = { ["X-Forwarded-For"] = data.citizens[who].ip }
  if route == "nearby" then
    return route, who, "GET", pick(data.nearby), public
  elseif route == "signpost" then
    return route, who, "GET", "/api/citizen/signposts/" .. pick(data.signposts), public
  elseif route == "reports" then
    return route, who, "GET", "/api/citizen/reports", citizen_headers(who)
  elseif route == "inbox" then
    return route, who, "GET", "/api/citizen/notifications", citizen_headers(who)
  elseif route == "tasks" then
    local inspector = pick(data.inspectors)
    return route, who, "GET", inspector.path, { Authorization = inspector.auth }
  end
  local headers = citizen_headers(who)
  headers["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY
  headers["Idempotency-Key"] = rid
  return "upload", who, "POST", "/api/citizen/media", headers, pick(uploads)
end

function request()
  seq = seq + 1
  local rid = phase .. "-" .. seq
  local route, who, method, path, headers, body = next_request(rid)
  headers["X-Request-ID"] = rid
  inflight[rid] = { route, now_us(), who }
  return wrk.format(method, path, headers, body)
end

local function count(route, status, body)
  local key = route .. " " .. status
  statuses[key] = (statuses[key] or 0) + 1
  if (status < 200 or status > 299) and samples[key] == nil then
    samples[key] = body or ""
  end
end

function response(status, headers, body)
  local rid = headers["x-request-id"] or headers["X-Request-ID"] or headers["X-Request-Id"]
  local entry = rid and inflight[rid]
  if entry == nil then -- not ours: counted as an error by load.py
    count("?", status, body)
    return
  end
  inflight[rid] = nil
  local route = entry[1]
  local n = (counts[route] or 0) + 1
  counts[route] = n
  latencies[route .. "#" .. n] = now_us() - entry[2]
  count(route, status, body)
  if route == "upload" and status == 201 then
    local media_id = body:match('"id":"(m_[%w]+)"')
    if media_id then
      creates[#creates + 1] = { entry[3], media_id }
    end
  end
  if capture and status >= 200 and status <= 299 then
    local kept = captured_n[route] or 0
    if kept < 25 then
      captured_n[route] = kept + 1
      captured[route .. "#" .. (kept + 1)] = status .. " " .. body
    end
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

-- Figures for load.py: "key<TAB>value" records, values length-prefixed (bodies are binary).
function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "wb"))
  local function record(key, value)
    value = tostring(value)
    out:write(key, "\t", #value, "\t", value, "\n")
  end
  local e = summary.errors
  record("summary", table.concat({ summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout }, " "))
  for _, thread in ipairs(threads) do
    local n = thread:get("counts")
    local lat = thread:get("latencies")
    for route, total in pairs(n) do
      local values = {}
      for i = 1, total do
        values[i] = string.format("%.0f", lat[route .. "#" .. i])
      end
      record("latency " .. route, table.concat(values, " "))
    end
    for key, value in pairs(thread:get("statuses")) do
      record("status " .. key, value)
    end
    for key, value in pairs(thread:get("samples")) do
      record("sample " .. key, value)
    end
    for key, value in pairs(thread:get("captured")) do
      record("capture " .. key, value)
    end
  end
  out:close()
end
