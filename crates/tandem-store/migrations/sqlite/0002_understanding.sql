-- Message understanding (language, redacted text, PII spans, sentiment, intent,
-- entities) stored with each message, and each conversation's sentiment trajectory.
ALTER TABLE messages ADD COLUMN understanding TEXT;
ALTER TABLE conversations ADD COLUMN sentiment TEXT NOT NULL DEFAULT '{}';
