import Foundation
import Hummingbird
import PodiumCore
import WorkflowEngine
import WorkflowLanguage

/// The community manager's console: a live board per program, the stuck items with the fixes
/// operators have in the CLI (each previewed before it is done, each recorded with the operator
/// and a reason), and the flow and impact reports as charts. Only people holding an operator
/// role (``TaskAdmin/operatorRoles``: community manager, admin) see it; the fixes themselves are
/// judged again by the core (moving and cancelling need an admin), whoever asks.
struct ConsoleRoutes {
    let services: PodiumServices
    let pages: WebPages
    let engine: ItemEngine
    let tasks: TaskAdmin

    init(services: PodiumServices, pages: WebPages) {
        self.services = services
        self.pages = pages
        engine = services.engine.entering(through: .web)
        tasks = TaskAdmin(pool: services.pool, time: services.clock, door: .web)
    }

    func add(to router: RouterGroup<APIRequestContext>) {
        router.get("/console") { request, context in try await board(try operatorSession(request, context)) }
        router.get("/console/workflows/{workflow}/stages/{stage}") { request, context in
            let session = try operatorSession(request, context)
            let workflow = try context.parameters.require("workflow")
            let stage = try context.parameters.require("stage")
            let time = LocalTime(zone: session.actor.timezone, now: services.clock.now())
            let items = try await engine.list(
                workflow: workflow, stage: stage, limit: 500, readableBy: session.actor.identity)
            guard let summary = try await services.workflows.list().first(where: { $0.name == workflow }),
                let definition = Optional(try await engine.definition(of: workflow, version: summary.latestVersion)),
                definition.stage(stage) != nil
            else {
                throw Problem(status: .notFound, code: "not_found.stage", detail: "no program has that stage")
            }
            return pages.render(
                "stage",
                StageView(
                    page: PageChrome(stage, session: session), workflow: workflow,
                    stageTitle: definition.stage(stage)?.title ?? stage,
                    count: items.count == 1 ? "1 open item" : "\(items.count) open items", zone: time.name,
                    items: items.map { item in
                        StageView.Row(
                            id: item.id, title: item.title, due: item.dueAt.map(time.due) ?? "no deadline",
                            late: item.dueAt.map { $0 < time.now } ?? false,
                            assignees: item.assignees.joined(separator: ", "))
                    }))
        }
        router.get("/console/stuck") { request, context in
            let session = try operatorSession(request, context)
            return try await stuck(session, notice: Self.notice(request.uri.queryParameters))
        }
        router.post("/console/fix") { request, context in try await fix(request, context) }
        router.get("/console/reports") { request, context in try await reports(try operatorSession(request, context)) }
    }

    /// The session of an operator.
    ///
    /// - Throws: ``SignInNeeded`` without a session, ``Problem`` 403 for anyone without an operator role.
    private func operatorSession(_ request: Request, _ context: APIRequestContext) throws -> WebSession {
        let session = try context.requireSession(request)
        guard !Set(session.actor.roles).isDisjoint(with: TaskAdmin.operatorRoles) else {
            throw Problem(
                status: .forbidden, code: "refused.not_operator",
                detail: "The console is for the people who run the programs (a community manager or an admin).",
                hint: "Your tasks are in your inbox.")
        }
        return session
    }

    // MARK: Board

    struct BoardView {
        struct Column {
            let workflow: String
            let stage: String
            let title: String
            let open: Int
            /// Nil when none is overdue (a template shows a section for any number, 0 included).
            let overdue: Int?
        }

        struct Edge {
            let name: String
            let from: String
            let to: String
            let who: String
        }

        struct Board {
            let name: String
            let title: String
            let version: Int
            let columns: [Column]
            let edges: [Edge]
        }

        let page: PageChrome
        let zone: String
        let boards: [Board]
    }

    private func board(_ session: WebSession) async throws -> Response {
        let cells = try await services.reports.board(for: session.actor.identity)
        var boards: [BoardView.Board] = []
        for summary in try await services.workflows.list() {
            let definition = try await engine.definition(of: summary.name, version: summary.latestVersion)
            let columns = definition.stagesInFlowOrder.filter { !$0.terminal }.map { stage in
                let cell = cells.first { $0.workflow == summary.name && $0.stage == stage.name }
                return BoardView.Column(
                    workflow: summary.name, stage: stage.name, title: stage.title, open: cell?.open ?? 0,
                    overdue: cell.flatMap { $0.overdue > 0 ? $0.overdue : nil })
            }
            let edges = definition.transitionsInFlowOrder.map { transition in
                BoardView.Edge(
                    name: transition.title ?? ItemPageModel.label(for: transition.name),
                    from: transition.from.joined(separator: ", "), to: transition.to,
                    who: transition.timer.map { "after \($0.description)" }
                        ?? transition.roles.joined(separator: " or "))
            }
            boards.append(
                BoardView.Board(
                    name: summary.name, title: definition.title, version: summary.latestVersion, columns: columns,
                    edges: edges))
        }
        // Programs with open items first: those are the ones to look at.
        boards.sort { left, right in
            let (l, r) = (left.columns.contains { $0.open > 0 }, right.columns.contains { $0.open > 0 })
            return l != r ? l : left.title < right.title
        }
        return pages.render(
            "console",
            BoardView(
                page: PageChrome("Programs", session: session),
                zone: LocalTime(zone: session.actor.timezone, now: services.clock.now()).name, boards: boards))
    }

    struct StageView {
        struct Row {
            let id: Int
            let title: String
            let due: String
            let late: Bool
            let assignees: String
        }

        let page: PageChrome
        let workflow: String
        let stageTitle: String
        /// "3 open items".
        let count: String
        let zone: String
        let items: [Row]
    }

    // MARK: Stuck and fixes

    struct StuckView {
        struct Item {
            let id: Int
            let title: String
            let workflow: String
            let stage: String
            let reasons: [String]
            let deadTasks: Bool
            let stages: [String]
            let roles: [String]
            let csrf: String
            /// Moving and cancelling override the workflow: offered to admins only.
            let mayOverride: Bool
        }

        let page: PageChrome
        let items: [Item]
    }

    private func stuck(_ session: WebSession, notice: String? = nil, refusal: PodiumError? = nil) async throws
        -> Response
    {
        var items: [StuckView.Item] = []
        // Found first, then trimmed to what the operator may see: look well past the 100 shown.
        let found = try await services.stuck.find(limit: 1_000)
        let readable = try await engine.readable(found.map(\.itemID), by: session.actor.identity)
        for item in found.filter({ readable.contains($0.itemID) }).prefix(100) {
            let definition = try await engine.definition(of: item.workflow, version: item.version)
            items.append(
                StuckView.Item(
                    id: item.itemID, title: item.title, workflow: item.workflow, stage: item.stage,
                    reasons: item.reasons.map(\.message), deadTasks: item.reasons.contains { $0.kind == "dead_task" },
                    stages: definition.stagesInFlowOrder.map(\.name).filter { $0 != item.stage },
                    roles: definition.roles.map(\.name), csrf: session.csrfToken,
                    mayOverride: session.actor.roles.contains(ActorIdentity.adminRole)))
        }
        return pages.render(
            "stuck",
            StuckView(
                page: PageChrome(
                    "Stuck items", session: session, notice: notice,
                    error: refusal.map { "Nothing was changed: \($0.message)." }, errorHint: refusal?.hint),
                items: items),
            status: refusal.map { Problem($0).status } ?? .ok)
    }

    struct PreviewView {
        struct Field {
            let name: String
            let value: String
        }

        let page: PageChrome
        let item: Int
        let operatorHandle: String
        /// Nil when the fix takes none (a reassignment).
        let reason: String?
        let changes: [String]
        let csrf: String
        let fields: [Field]
    }

    /// One fix from the stuck page: `mode=preview` says what it would change (changing nothing);
    /// `mode=apply` does it, recorded with the operator and the reason.
    private func fix(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (form, session) = try await WebForm.read(request, session: context)
        _ = try operatorSession(request, context)
        guard let item = form["item"].flatMap(Int.init), item > 0 else {
            throw Problem(status: .badRequest, code: "input.form", detail: "the fix names no item")
        }
        let action = form["action"] ?? ""
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let apply = form["mode"] == "apply"
        let handle = session.actor.handle
        // An item the operator may not see is not there, whatever the fix.
        let view = try await engine.show(item, reader: session.actor.identity)
        do {
            var changes: [String] = []
            switch action {
            case "retry":
                let dead = try await tasks.list(status: TaskStatus.dead.rawValue, item: item)
                guard !dead.isEmpty else {
                    throw PodiumError(.refused, "item \(item) has no dead tasks to retry", reason: "no_dead_tasks")
                }
                let records = try await tasks.retry(
                    ids: dead.map(\.id), actor: handle, reason: reason, dryRun: !apply)
                changes = records.map {
                    "retry task \($0.id) (\($0.kind) “\($0.label)”), which died after \($0.attempts) attempts: \($0.lastError ?? "no error recorded")"
                }
                if apply {
                    return WebPages.seeOther("/console/stuck?done=retry&item=\(item)&count=\(records.count)")
                }
            case "move":
                let stage = form["stage"] ?? ""
                if apply {
                    _ = try await engine.move(item: item, to: stage, actor: handle, reason: reason)
                    return WebPages.seeOther("/console/stuck?done=move&item=\(item)&stage=\(Self.query(stage))")
                }
                let preview = try await engine.previewMove(item: item, to: stage, actor: handle, reason: reason)
                changes =
                    ["move “\(preview.title)” from \(preview.from) to \(preview.to), whatever its rules ask"]
                    + Self.effects(preview)
            case "cancel":
                if apply {
                    _ = try await engine.cancel(item: item, actor: handle, reason: reason)
                    return WebPages.seeOther("/console/stuck?done=cancel&item=\(item)")
                }
                let preview = try await engine.previewCancel(item: item, actor: handle, reason: reason)
                changes = ["cancel “\(preview.title)” where it stands, in \(preview.from)"] + Self.effects(preview)
            case "reassign":
                let role = form["role"] ?? ""
                let person = (form["to"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let current = view.participants.filter { $0.role == role }.map(\.actor).filter { $0 != person }
                if apply {
                    _ = try await engine.reassign(item: item, role: role, to: person, actor: handle)
                    return WebPages.seeOther(
                        "/console/stuck?done=reassign&item=\(item)&role=\(Self.query(role))&to=\(Self.query(person))")
                }
                _ = try await services.actors.find(person)
                changes =
                    ["make \(person) \(ItemEngine.article(role)) \(role) of “\(view.title)”"]
                    + current.map { "take the \(role) role from \($0), in the same step" }
                    + ["(whether you may assign \(role) is checked when you confirm, as in the CLI)"]
            default:
                throw Problem(status: .badRequest, code: "input.form", detail: "no such fix: \(action)")
            }
            // The confirm button itself sends mode=apply.
            let fields = ["action", "item", "reason", "stage", "role", "to"].compactMap { name in
                form[name].map { PreviewView.Field(name: name, value: $0) }
            }
            return pages.render(
                "preview",
                PreviewView(
                    page: PageChrome("Before you confirm", session: session), item: item, operatorHandle: handle,
                    reason: reason.isEmpty ? nil : reason, changes: changes, csrf: session.csrfToken, fields: fields))
        } catch let error as PodiumError where error.kind != .database && error.kind != .schema {
            return try await stuck(session, refusal: error)
        }
    }

    private static func effects(_ preview: OverridePreview) -> [String] {
        var effects: [String] = []
        if preview.retiredTasks > 0 { effects.append("retire its \(preview.retiredTasks) open task(s) of the stage") }
        if preview.closes { effects.append("close the item") }
        if preview.reopens { effects.append("reopen the item") }
        return effects
    }

    /// The notice after a fix, from the redirect's query: built here from a fix's name and values
    /// that must look like ids and names, so a crafted link cannot put its own words on the page.
    static func notice(_ query: Parameters) -> String? {
        func name(_ key: String) -> String? {
            query.get(key).flatMap { value in
                value.range(of: #"^[a-z0-9][a-z0-9._-]{0,62}$"#, options: .regularExpression) != nil ? value : nil
            }
        }
        guard let item = query.get("item").flatMap(Int.init) else { return nil }
        switch query.get("done") {
        case "retry": return query.get("count").flatMap(Int.init).map { "Retried \($0) task(s) of item \(item)." }
        case "move": return name("stage").map { "Moved item \(item) to \($0)." }
        case "cancel": return "Cancelled item \(item)."
        case "reassign":
            guard let role = name("role"), let person = name("to") else { return nil }
            return "\(person) is now \(ItemEngine.article(role)) \(role) of item \(item)."
        default: return nil
        }
    }

    private static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    // MARK: Reports

    struct ReportsView {
        struct ImpactBar {
            let label: String
            let width: Int
            let negative: Bool
            let text: String
        }

        struct FlowBar {
            let workflow: String
            let stage: String
            let passed: Int
            let width: Int
            let median: String
            let p90: String
            let onTime: String
            let rework: Int
        }

        let page: PageChrome
        let impact: [ImpactBar]
        let flow: [FlowBar]
    }

    /// The reports as charts whose bars share one scale per chart, so +58% and +100% differ.
    private func reports(_ session: WebSession) async throws -> Response {
        let impact = try await services.reports.impact()
        var bars: [(String, Double)] = []
        for row in impact {
            let who = row.executive == "overall" ? "Everyone" : row.executive
            for (what, change) in [
                ("messages", row.change.messages), ("replies", row.change.replies), ("likes", row.change.likes),
            ] {
                if let change { bars.append(("\(who): \(what)", change)) }
            }
        }
        let largest = max(bars.map { abs($0.1) }.max() ?? 0, 1)
        let flow = try await services.reports.flow()
        let slowest = max(Double(flow.compactMap(\.medianSeconds).max() ?? 0), 1)
        return pages.render(
            "reports",
            ReportsView(
                page: PageChrome("Reports", session: session),
                impact: bars.map { label, change in
                    ReportsView.ImpactBar(
                        label: label, width: max(2, Int((abs(change) / largest * 240).rounded())), negative: change < 0,
                        text: String(format: "%+.0f%%", change))
                },
                flow: flow.map { row in
                    ReportsView.FlowBar(
                        workflow: row.workflow, stage: row.stage, passed: row.passed,
                        width: row.medianSeconds.map { max(2, Int((Double($0) / slowest * 240).rounded())) } ?? 0,
                        median: row.medianSeconds.map { DurationText.approximate(seconds: $0) } ?? "–",
                        p90: row.p90Seconds.map { DurationText.approximate(seconds: $0) } ?? "–",
                        onTime: row.onTimeShare.map { String(format: "%.0f%%", $0 * 100) } ?? "–", rework: row.rework)
                }))
    }
}
