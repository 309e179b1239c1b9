-- Canned responses: texts agents insert by typing `/` and a shortcut in the composer.
-- A shortcut names one response per workspace.
CREATE TABLE canned_responses (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    shortcut     TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    language     TEXT,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (workspace_id, shortcut);
