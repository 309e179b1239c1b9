-- Tandem's initial schema (PostgreSQL). Times are microseconds since the Unix epoch
-- (BIGINT, the same representation as the SQLite backend), lists and maps are JSONB.
-- Released migrations are append-only.

CREATE TABLE workspaces (
    id          UUID PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    chat_key    TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE agents (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces(id),
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    skills        JSONB NOT NULL,
    languages     JSONB NOT NULL,
    capacity      JSONB NOT NULL,
    state         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, email)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    agent_id     UUID NOT NULL REFERENCES agents(id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE chat_visitors (
    token_hash   TEXT PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    visitor_id   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE queues (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE customers (
    id                 UUID PRIMARY KEY,
    workspace_id       UUID NOT NULL REFERENCES workspaces(id),
    display_name       TEXT,
    tier               TEXT NOT NULL,
    preferred_language TEXT,
    attributes         JSONB NOT NULL,
    merged_into        UUID REFERENCES customers(id),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX customers_workspace ON customers (workspace_id, id);

CREATE TABLE customer_identities (
    workspace_id UUID NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    customer_id  UUID NOT NULL REFERENCES customers(id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE conversations (
    id              UUID PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces(id),
    customer_id     UUID NOT NULL REFERENCES customers(id),
    status          TEXT NOT NULL,
    owner_kind      TEXT NOT NULL,
    owner_id        UUID,
    priority        SMALLINT NOT NULL,
    tags            JSONB NOT NULL,
    channel         TEXT NOT NULL,
    channel_history JSONB NOT NULL,
    subject         TEXT,
    language        TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    resolved_at     BIGINT,
    closed_at       BIGINT,
    version         BIGINT NOT NULL
);
CREATE INDEX conversations_workspace ON conversations (workspace_id, id);
CREATE INDEX conversations_customer ON conversations (customer_id, last_message_at);
CREATE INDEX conversations_status ON conversations (workspace_id, status, id);

CREATE TABLE messages (
    id              UUID PRIMARY KEY,
    workspace_id    UUID NOT NULL,
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    kind            TEXT NOT NULL,
    author_kind     TEXT NOT NULL,
    author_id       UUID,
    body            TEXT NOT NULL,
    language        TEXT,
    channel         TEXT NOT NULL,
    attachments     JSONB NOT NULL,
    external_id     TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

CREATE TABLE idempotency_keys (
    workspace_id         UUID NOT NULL,
    key                  TEXT NOT NULL,
    fingerprint          TEXT NOT NULL,
    message_id           UUID NOT NULL,
    conversation_id      UUID NOT NULL,
    customer_id          UUID NOT NULL,
    customer_created     BOOLEAN NOT NULL,
    conversation_created BOOLEAN NOT NULL,
    created_at           BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    id              UUID NOT NULL,
    workspace_id    UUID NOT NULL,
    kind            TEXT NOT NULL,
    conversation_id UUID,
    customer_id     UUID,
    owner_kind      TEXT,
    owner_id        UUID,
    payload         JSONB NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, seq);
