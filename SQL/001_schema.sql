-- Podium's data model. Applied by `podium migrate` in one transaction; never edit an applied
-- file: add a new numbered one instead (podium refuses to run when a checksum changed).
--
-- History is append-only: the item row is a cache of the latest history row, and approvals
-- belong to one visit of a stage (the history row that entered it), so leaving a stage resets
-- them without deleting anything.

-- Loaded workflow definitions. A version is immutable; items pin the version they started on.
create table workflow_versions (
    workflow     text        not null check (workflow ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'),
    version      integer     not null check (version > 0),
    checksum     text        not null,            -- sha256 of the canonical form
    source       text        not null,            -- the YAML as loaded
    source_path  text,
    definition   jsonb       not null,            -- the canonical form the engine runs
    loaded_at    timestamptz not null default now(),
    primary key (workflow, version),
    unique (workflow, checksum)
);

-- People (and the `system` actor that fires timers). `roles` are global roles: an actor with
-- a global role may act in that role on every item of every workflow that declares it.
create table actors (
    handle        text        primary key check (handle ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    display_name  text        not null check (length(display_name) between 1 and 200),
    roles         text[]      not null default '{}',
    timezone      text        not null default 'UTC',
    channel       text,                            -- delivery channel spec; null: worker default
    working_hours text        not null default 'Mon-Fri 09:00-18:00',
    created_at    timestamptz not null default now()
);

insert into actors (handle, display_name, roles, working_hours)
values ('system', 'Podium (timers)', '{}', 'always');

create table items (
    id               bigint      generated always as identity primary key,
    workflow         text        not null,
    version          integer     not null,
    stage            text        not null,
    title            text        not null check (length(title) between 1 and 500),
    data             jsonb       not null default '{}' check (jsonb_typeof(data) = 'object'),
    revision         integer     not null default 1 check (revision > 0),
    visit_id         bigint,                       -- the history row that entered `stage`
    stage_entered_at timestamptz not null,
    due_at           timestamptz,                  -- when the current stage's work is due
    last_activity_at timestamptz not null,         -- transition, comment or approval
    created_by       text        not null references actors (handle),
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    closed_at        timestamptz,                  -- set when a terminal stage is entered
    foreign key (workflow, version) references workflow_versions (workflow, version)
);

-- Operators look for open items by stage and age (stuck, live graphs) and by due time.
create index items_open_by_stage on items (workflow, stage, stage_entered_at) where closed_at is null;
create index items_open_by_due on items (due_at) where closed_at is null and due_at is not null;
create index items_open_by_activity on items (last_activity_at) where closed_at is null;

create table participants (
    item_id  bigint      not null references items (id),
    role     text        not null,
    actor    text        not null references actors (handle),
    added_at timestamptz not null default now(),
    primary key (item_id, role, actor)
);
create index participants_by_actor on participants (actor, item_id);

-- Every move of every item, append-only. `kind` says what happened:
-- create (entered the initial stage), transition (a workflow transition), override (an
-- operator's move), assign (participants changed), cancel, migrate (moved to a new version).
create table history (
    id              bigint      generated always as identity primary key,
    item_id         bigint      not null references items (id),
    kind            text        not null check (kind in ('create', 'transition', 'override', 'assign', 'cancel', 'migrate')),
    transition      text,
    from_stage      text,
    to_stage        text        not null,
    actor           text        not null references actors (handle),
    role            text        not null,
    comment         text,
    data_change     jsonb,
    idempotency_key text,
    at              timestamptz not null,
    unique (item_id, idempotency_key)
);
create index history_by_item on history (item_id, id);
create index history_by_time on history (at);

alter table items add foreign key (visit_id) references history (id);

-- Approvals count toward a transition during one visit of a stage.
create table approvals (
    item_id    bigint      not null references items (id),
    visit_id   bigint      not null references history (id),
    transition text        not null,
    actor      text        not null references actors (handle),
    role       text        not null,
    comment    text,
    at         timestamptz not null,
    primary key (item_id, visit_id, transition, actor)
);

create table comments (
    id      bigint      generated always as identity primary key,
    item_id bigint      not null references items (id),
    actor   text        not null references actors (handle),
    body    text        not null check (length(body) between 1 and 10000),
    at      timestamptz not null
);
create index comments_by_item on comments (item_id, id);

-- Work for the workers: reminders, escalations and timer transitions of an item's current
-- stage visit. Finished tasks leave the claim index at once (partial index on 'pending').
create table tasks (
    id              bigint      generated always as identity primary key,
    item_id         bigint      not null references items (id),
    visit_id        bigint      not null references history (id),
    kind            text        not null check (kind in ('reminder', 'escalation', 'timer')),
    stage           text        not null,
    transition      text,                          -- timers: the transition to fire
    recipient_role  text,                          -- reminders and escalations
    sequence        integer     not null default 0, -- the n-th reminder of this visit
    run_at          timestamptz not null,
    status          text        not null default 'pending'
                                check (status in ('pending', 'running', 'done', 'dead', 'cancelled')),
    attempts        integer     not null default 0,
    max_attempts    integer     not null default 5 check (max_attempts > 0),
    lease_owner     text,
    lease_until     timestamptz,
    last_error      text,
    idempotency_key text        not null unique,
    created_at      timestamptz not null,
    finished_at     timestamptz
);
create index tasks_claim on tasks (run_at) where status = 'pending';
create index tasks_expired_leases on tasks (lease_until) where status = 'running';
create index tasks_open_by_item on tasks (item_id) where status in ('pending', 'running');
create index tasks_dead on tasks (item_id) where status = 'dead';

-- Every delivery attempt of a task, with the message's stable idempotency key.
create table deliveries (
    id              bigint      generated always as identity primary key,
    task_id         bigint      not null references tasks (id),
    attempt         integer     not null,
    channel         text        not null,
    recipient       text        not null references actors (handle),
    idempotency_key text        not null,
    status          text        not null check (status in ('delivered', 'failed')),
    error           text,
    at              timestamptz not null
);
create index deliveries_by_task on deliveries (task_id);

-- Engagement measured on a published item (messages, replies, likes), for impact reports.
create table engagement (
    id          bigint      generated always as identity primary key,
    item_id     bigint      not null references items (id),
    messages    integer     not null check (messages >= 0),
    replies     integer     not null check (replies >= 0),
    likes       integer     not null check (likes >= 0),
    measured_at timestamptz not null,
    recorded_at timestamptz not null default now()
);
create index engagement_by_item on engagement (item_id, measured_at);
