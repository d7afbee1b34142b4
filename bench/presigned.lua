-- wrk script: replays pre-signed requests (one line each: METHOD<TAB>PATH<TAB>header: value<TAB>...),
-- every request once, split between wrk's threads so no nonce is sent twice.
-- Usage: wrk -t T -c C -d D -s bench/presigned.lua URL -- FILE T
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, total = args[1], tonumber(args[2])
  requests = {}
  local line_number = 0
  for line in io.lines(file) do
    if line_number % total == thread_id then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
      local headers = {}
      for i = 3, #fields do
        local name, value = string.match(fields[i], "^([^:]+): (.*)$")
        headers[name] = value
      end
      table.insert(requests, wrk.format(fields[1], fields[2], headers, ""))
    end
    line_number = line_number + 1
  end
  position = 0
  exhausted = 0
end

function request()
  position = position + 1
  if position > #requests then
    -- Out of pre-signed requests: repeat the last one (its nonce is refused, which shows as non-2xx).
    exhausted = exhausted + 1
    return requests[#requests]
  end
  return requests[position]
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d bytes=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.bytes))
end
