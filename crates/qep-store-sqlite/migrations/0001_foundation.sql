-- Foundation: the prefecture, its sites and services, accounts, sessions, audit log.
-- Kept in step with ../../qep-store-postgres/migrations (same file names; a test compares them).

CREATE TABLE prefecture (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT    NOT NULL,
    department  TEXT    NOT NULL,
    referentiel TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE TABLE scope_modules (
    module INTEGER PRIMARY KEY
);

CREATE TABLE sites (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);

CREATE TABLE services (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL,
    code     TEXT    NOT NULL DEFAULT '',
    site_id  INTEGER NOT NULL REFERENCES sites (id),
    in_scope INTEGER NOT NULL
);
CREATE INDEX services_site ON services (site_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'agent', 'viewer')),
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    last_login_at TEXT
);

CREATE TABLE user_services (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, service_id)
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor_id INTEGER,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL,
    detail   TEXT    NOT NULL
);

-- The audit log is append-only, whatever the code above it does.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
