-- Tandem's initial schema (SQLite). Ids are UUID text, times are microseconds since the
-- Unix epoch, lists and maps are JSON text. Released migrations are append-only.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    chat_key    TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    skills        TEXT NOT NULL,
    languages     TEXT NOT NULL,
    capacity      TEXT NOT NULL,
    state         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, email)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    agent_id     TEXT NOT NULL REFERENCES agents(id),
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE chat_visitors (
    token_hash   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    visitor_id   TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE queues (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
    display_name       TEXT,
    tier               TEXT NOT NULL,
    preferred_language TEXT,
    attributes         TEXT NOT NULL,
    merged_into        TEXT REFERENCES customers(id),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX customers_workspace ON customers (workspace_id, id);

CREATE TABLE customer_identities (
    workspace_id TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    customer_id     TEXT NOT NULL REFERENCES customers(id),
    status          TEXT NOT NULL,
    owner_kind      TEXT NOT NULL,
    owner_id        TEXT,
    priority        INTEGER NOT NULL,
    tags            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    channel_history TEXT NOT NULL,
    subject         TEXT,
    language        TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    resolved_at     INTEGER,
    closed_at       INTEGER,
    version         INTEGER NOT NULL
);
CREATE INDEX conversations_workspace ON conversations (workspace_id, id);
CREATE INDEX conversations_customer ON conversations (customer_id, last_message_at);
CREATE INDEX conversations_status ON conversations (workspace_id, status, id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    kind            TEXT NOT NULL,
    author_kind     TEXT NOT NULL,
    author_id       TEXT,
    body            TEXT NOT NULL,
    language        TEXT,
    channel         TEXT NOT NULL,
    attachments     TEXT NOT NULL,
    external_id     TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

CREATE TABLE idempotency_keys (
    workspace_id         TEXT NOT NULL,
    key                  TEXT NOT NULL,
    fingerprint          TEXT NOT NULL,
    message_id           TEXT NOT NULL,
    conversation_id      TEXT NOT NULL,
    customer_id          TEXT NOT NULL,
    customer_created     INTEGER NOT NULL,
    conversation_created INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
) WITHOUT ROWID;

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,
    workspace_id    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    conversation_id TEXT,
    customer_id     TEXT,
    owner_kind      TEXT,
    owner_id        TEXT,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, seq);
