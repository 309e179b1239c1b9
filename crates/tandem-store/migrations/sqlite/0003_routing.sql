-- Routing: each queue's routing settings; each conversation's stays in queues (in entry
-- order, so a restart resumes the same order); every offer with its rule, scores and
-- outcome, for audit.
ALTER TABLE queues ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';

CREATE TABLE routing_entries (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    queue_id        TEXT NOT NULL REFERENCES queues(id),
    class_priority  INTEGER NOT NULL,
    arrived_at      INTEGER NOT NULL,
    entered_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    outcome         TEXT
);
CREATE UNIQUE INDEX routing_entries_open ON routing_entries (conversation_id) WHERE closed_at IS NULL;
CREATE INDEX routing_entries_workspace ON routing_entries (workspace_id, closed_at, seq);
CREATE INDEX routing_entries_arrivals ON routing_entries (workspace_id, entered_at);

CREATE TABLE routing_offers (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    agent_id        TEXT NOT NULL REFERENCES agents(id),
    queue_id        TEXT NOT NULL REFERENCES queues(id),
    rule            TEXT NOT NULL,
    score           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    status          TEXT NOT NULL,
    decided_at      INTEGER
);
CREATE INDEX routing_offers_conversation ON routing_offers (workspace_id, conversation_id, created_at);
CREATE INDEX routing_offers_status ON routing_offers (workspace_id, status, created_at);
