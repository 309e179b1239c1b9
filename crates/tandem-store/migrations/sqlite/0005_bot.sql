-- The virtual agent: each workspace's configuration (a JSON document with a version for
-- optimistic concurrency), the named secrets its action calls refer to, its memory of
-- each conversation (versioned too), and every decision it took with its inputs, rule
-- and reason, for audit. Tasks for people: follow-ups the bot promised a customer and
-- actions waiting for a person's approval.
CREATE TABLE bot_configs (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    config       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL
);

CREATE TABLE bot_secrets (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    value        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE bot_states (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE bot_decisions (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    message_id      TEXT,
    turn            INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    rule            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    escalation      TEXT,
    inputs          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    latency_us      INTEGER NOT NULL,
    external_us     INTEGER NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX bot_decisions_conversation ON bot_decisions (workspace_id, conversation_id, at);
CREATE INDEX bot_decisions_time ON bot_decisions (workspace_id, at);

CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    conversation_id TEXT REFERENCES conversations(id),
    customer_id     TEXT,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL,
    title           TEXT NOT NULL,
    details         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    due_at          INTEGER,
    settled_at      INTEGER,
    settled_by      TEXT,
    note            TEXT
);
CREATE INDEX tasks_status ON tasks (workspace_id, status, created_at);
CREATE INDEX tasks_conversation ON tasks (workspace_id, conversation_id);
