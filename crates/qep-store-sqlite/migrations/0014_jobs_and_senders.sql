-- Outgoing mail says who sends it and whether a person wrote it: an agent's answer leaves
-- from its service's address (or mail_from) with a Reply-To, and only automatic messages
-- carry Auto-Submitted. Services may have their own address.
ALTER TABLE mail_outbox ADD COLUMN sender TEXT;
ALTER TABLE mail_outbox ADD COLUMN reply_to TEXT;
ALTER TABLE mail_outbox ADD COLUMN automatic INTEGER NOT NULL DEFAULT 1;
ALTER TABLE services ADD COLUMN email TEXT;

-- Durable jobs: the morning digest, retention, session purge, imports, reminders. A job is
-- claimed by one process at a time under a lease (UPDATE … RETURNING); one (kind, key)
-- exists once, so a daily job is queued once whatever the number of processes.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    run_after   TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TEXT,
    last_error  TEXT,
    detail      TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX jobs_due ON jobs (state, run_after);
