-- Knowledge: articles at their current version (classification in columns for
-- filtering, the whole content as JSON), every version ever saved, agents' verdicts on
-- knowledge cards, and how well retrieval answered each customer question (for gaps).
CREATE TABLE kb_articles (
    id             UUID PRIMARY KEY,
    workspace_id   UUID NOT NULL REFERENCES workspaces(id),
    key            TEXT,
    translation_of UUID REFERENCES kb_articles(id),
    language       TEXT NOT NULL,
    status         TEXT NOT NULL,
    audience       TEXT NOT NULL,
    product        TEXT,
    tags           JSONB NOT NULL,
    content        JSONB NOT NULL,
    version        INTEGER NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     JSONB NOT NULL
);
CREATE UNIQUE INDEX kb_articles_key ON kb_articles (workspace_id, key) WHERE key IS NOT NULL;
CREATE INDEX kb_articles_workspace ON kb_articles (workspace_id, id);
CREATE INDEX kb_articles_translations ON kb_articles (translation_of);

CREATE TABLE kb_article_versions (
    article_id   UUID NOT NULL REFERENCES kb_articles(id),
    workspace_id UUID NOT NULL REFERENCES workspaces(id),
    version      INTEGER NOT NULL,
    content      JSONB NOT NULL,
    edited_by    JSONB NOT NULL,
    edited_at    BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE kb_card_feedback (
    seq             BIGSERIAL PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    article_id      UUID NOT NULL REFERENCES kb_articles(id),
    version         INTEGER NOT NULL,
    passage         INTEGER NOT NULL,
    agent_id        UUID REFERENCES agents(id),
    verdict         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX kb_card_feedback_conversation ON kb_card_feedback (workspace_id, conversation_id, seq);
CREATE INDEX kb_card_feedback_time ON kb_card_feedback (workspace_id, created_at);

CREATE TABLE kb_questions (
    message_id      UUID PRIMARY KEY REFERENCES messages(id),
    workspace_id    UUID NOT NULL REFERENCES workspaces(id),
    conversation_id UUID NOT NULL REFERENCES conversations(id),
    text            TEXT NOT NULL,
    language        TEXT,
    best_score      REAL NOT NULL,
    best_article    UUID,
    created_at      BIGINT NOT NULL
);
CREATE INDEX kb_questions_time ON kb_questions (workspace_id, created_at);
