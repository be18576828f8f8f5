-- Files attached to register items (stored in the database: backed up with it, purged with
-- the personal data).
CREATE TABLE attachments (
    id                INTEGER PRIMARY KEY,
    correspondence_id INTEGER NOT NULL REFERENCES correspondence (id) ON DELETE CASCADE,
    file_name         TEXT    NOT NULL,
    content_type      TEXT    NOT NULL,
    size              INTEGER NOT NULL,
    data              BLOB    NOT NULL,
    uploaded_at       TEXT    NOT NULL,
    uploaded_by       TEXT    NOT NULL
);
CREATE INDEX attachments_item ON attachments (correspondence_id);
