-- Messages sent by QeP (acknowledgements…), through a durable outbox; their templates;
-- the text of a message received through the public form.

ALTER TABLE correspondence ADD COLUMN body TEXT NOT NULL DEFAULT '';

CREATE TABLE mail_outbox (
    id                INTEGER PRIMARY KEY,
    to_address        TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    correspondence_id INTEGER REFERENCES correspondence (id) ON DELETE SET NULL,
    created_at        TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT    NOT NULL,
    last_error        TEXT,
    sent_at           TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE message_templates (
    key        TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
