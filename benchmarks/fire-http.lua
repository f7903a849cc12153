-- wrk script for benchmarks/run: transitions over HTTP. Each wrk thread has one connection
-- (-t N -c N) and goes round its own ITEMS_PER_CLIENT exec-post items, all in draft when the run
-- starts (thread t owns ids FIRST_ITEM + t*ITEMS_PER_CLIENT ..), bouncing each between draft and
-- private_review as the in-process benchmark does: submit by the executive (ALICE_TOKEN),
-- request_changes by the coach (BOB_TOKEN). Each run gets items of its own: the request in flight
-- when wrk stops leaves its item half way.
local threads = 0

function setup(thread)
    thread:set("client", threads)
    threads = threads + 1
end

function init(args)
    per = tonumber(os.getenv("ITEMS_PER_CLIENT"))
    first = tonumber(os.getenv("FIRST_ITEM"))
    alice = "Bearer " .. os.getenv("ALICE_TOKEN")
    bob = "Bearer " .. os.getenv("BOB_TOKEN")
    step = 0
    failures = 0
end

-- The step moves on when a response arrives, not when a request is built: wrk builds one request
-- ahead of time when a thread starts, which would otherwise throw the alternation out of step.
function response(status, headers, body)
    step = step + 1
end

function request()
    local item = first + client * per + (math.floor(step / 2) % per)
    if step % 2 == 0 then
        return wrk.format("POST", "/api/v1/items/" .. item .. "/transitions/submit",
            { ["Authorization"] = alice, ["Content-Type"] = "application/json" }, "{}")
    end
    return wrk.format("POST", "/api/v1/items/" .. item .. "/transitions/request_changes",
        { ["Authorization"] = bob, ["Content-Type"] = "application/json" }, '{"comment": "Shorter, please."}')
end
