-- wrk script for benchmarks/run: transitions over HTTP. Each wrk thread has one connection
-- (-t N -c N) and goes round its own ITEMS_PER_CLIENT exec-post items (thread t owns ids
-- t*ITEMS_PER_CLIENT+1 ..), bouncing each between draft and private_review as the in-process
-- benchmark does: submit by the executive (ALICE_TOKEN), request_changes by the coach (BOB_TOKEN).
local threads = 0

function setup(thread)
    thread:set("client", threads)
    threads = threads + 1
end

function init(args)
    per = tonumber(os.getenv("ITEMS_PER_CLIENT"))
    alice = "Bearer " .. os.getenv("ALICE_TOKEN")
    bob = "Bearer " .. os.getenv("BOB_TOKEN")
    step = 0
    failures = 0
end

function request()
    local item = client * per + (math.floor(step / 2) % per) + 1
    local submit = step % 2 == 0
    step = step + 1
    if submit then
        return wrk.format("POST", "/api/v1/items/" .. item .. "/transitions/submit",
            { ["Authorization"] = alice, ["Content-Type"] = "application/json" }, "{}")
    end
    return wrk.format("POST", "/api/v1/items/" .. item .. "/transitions/request_changes",
        { ["Authorization"] = bob, ["Content-Type"] = "application/json" }, '{"comment": "Shorter, please."}')
end
