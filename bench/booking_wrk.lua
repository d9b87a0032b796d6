-- wrk script of bench/booking.py: the booking hold (POST /v1/bookings with a unique body a
-- request) or a GET of the URL's path, and one JSON line of results for Python.
--
--   wrk -t T -c C -d S -H "Authorization: Bearer ..." -s bench/booking_wrk.lua URL \
--       -- hold T FIRST_DAY NINE_UTC OFFERING_0 OFFERING_1 ...
--   wrk ... -s bench/booking_wrk.lua URL/v1/floor -- get T
--
-- Holds never clash: request() runs once a request in each thread (not a connection), so each
-- thread counts its requests; thread t books the offerings i with i % T == t (its share), the
-- n-th request the share's slot n % share, on day FIRST_DAY + n // share (09:00-11:00 UTC,
-- NINE_UTC being today's 09:00 UTC in epoch seconds). done() reports the last day used, so the
-- next run starts after it. Non-2xx answers are counted by status and a few bodies kept
-- (defining response() makes wrk parse bodies: a little CPU, the price of seeing failures).

local threads = {}
local count = 0

function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

-- per thread (each has its own Lua state)
tid = 0
sent = 0
last_day = -1
statuses = {}
samples = {}

local mode, share, first_day, nine_utc, built
local mine = {}

function init(args)
  mode = args[1]
  local nthreads = tonumber(args[2])
  if mode == "hold" then
    first_day = tonumber(args[3])
    nine_utc = tonumber(args[4])
    for i = 5, #args do
      if (i - 5) % nthreads == tid then
        table.insert(mine, args[i])
      end
    end
    share = #mine
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  else
    built = wrk.format()
  end
end

local function iso(epoch)
  return os.date("!%Y-%m-%dT%H:%M:%S+00:00", epoch)
end

function request()
  if mode ~= "hold" then
    return built
  end
  local day = first_day + math.floor(sent / share)
  local offering = mine[(sent % share) + 1]
  sent = sent + 1
  last_day = day
  local start = nine_utc + day * 86400
  local body = string.format(
    '{"offering_id":"%s","start":"%s","end":"%s"}', offering, iso(start), iso(start + 7200)
  )
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    statuses[status] = (statuses[status] or 0) + 1
    if #samples < 3 then
      table.insert(samples, status .. " " .. string.sub(body or "", 1, 160))
    end
  end
end

local function quoted(text)
  local escaped = string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
  local last, non_2xx = -1, 0
  local by_status, kept = {}, {}
  for _, thread in ipairs(threads) do
    last = math.max(last, thread:get("last_day"))
    for status, n in pairs(thread:get("statuses")) do
      by_status[status] = (by_status[status] or 0) + n
      non_2xx = non_2xx + n
    end
    for _, sample in ipairs(thread:get("samples")) do
      table.insert(kept, quoted(sample))
    end
  end
  local counts = {}
  for status, n in pairs(by_status) do
    table.insert(counts, string.format('"%d":%d', status, n))
  end
  -- latency in microseconds as [value, count] pairs (wrk keeps one count a value)
  local buckets = {}
  for i = 1, #latency do
    local value, n = latency(i)
    table.insert(buckets, string.format("[%d,%d]", value, n))
  end
  local e = summary.errors
  io.write(string.format(
    'wrk-result {"requests":%d,"duration_us":%d,"status_errors":%d,"non_2xx":%d,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"statuses":{%s},"samples":[%s],"last_day":%d,"latency_us":[%s]}\n',
    summary.requests, summary.duration, e.status, non_2xx, e.connect, e.read, e.write,
    e.timeout, table.concat(counts, ","), table.concat(kept, ","), last,
    table.concat(buckets, ",")
  ))
end
