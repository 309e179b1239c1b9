-- Routing: each queue's routing settings; each conversation's stays in queues (in entry
-- order, so a restart resumes the same order); every offer with its rule, scores and
-- outcome, for audit.
ALTER TABLE queues ADD COLUMN routing JSONB NOT NULL DEFAULT '{}';

CREATE TABLE routing_entries (
    seq             BIGSERIAL PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    queue_id        UUID NOT NULL REFERENCES queues(id),
    class_priority  INTEGER NOT NULL,
    arrived_at      BIGINT NOT NULL,
    entered_at      BIGINT NOT NULL,
    closed_at       BIGINT,
    outcome         TEXT
);
CREATE UNIQUE INDEX routing_entries_open ON routing_entries (conversation_id) WHERE closed_at IS NULL;
CREATE INDEX routing_entries_workspace ON routing_entries (workspace_id, closed_at, seq);
CREATE INDEX routing_entries_arrivals ON routing_entries (workspace_id, entered_at);

CREATE TABLE routing_offers (
    id              UUID PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    agent_id        UUID NOT NULL REFERENCES agents(id),
    queue_id        UUID NOT NULL REFERENCES queues(id),
    rule            TEXT NOT NULL,
    score           JSONB NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    status          TEXT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX routing_offers_conversation ON routing_offers (workspace_id, conversation_id, created_at);
CREATE INDEX routing_offers_status ON routing_offers (workspace_id, status, created_at);
