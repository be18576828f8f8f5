-- Every row carries its prefecture, so one database can hold many prefectures (the
-- ministry's national instance, a shared regional hosting) while a single prefecture's
-- database keeps working: its rows become prefecture 1. Keys, uniques and indexes lead with
-- the prefecture, and foreign keys include it, so that a row can only refer to rows of its
-- own prefecture. Sites, services and users number with AUTOINCREMENT: a deleted one's
-- number is never given again. Whole-prefecture indicator values lose the fake site 0
-- (site_id is NULL); values of a site deleted meanwhile, which SQLite passed on to the
-- next site created, are dropped. Kept in step with ../../qep-store-postgres/migrations/0015.
--
-- SQLite cannot add key columns in place: each table is rebuilt under a new name, filled,
-- the old ones dropped children first (so that no foreign-key action fires), and the new
-- ones renamed (which rewrites their references), all in the migration's transaction.

CREATE TABLE new_prefecture (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    department  TEXT    NOT NULL,
    referentiel TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
INSERT INTO new_prefecture (id, name, department, referentiel, updated_at) SELECT id, name, department, referentiel, updated_at FROM prefecture;

CREATE TABLE new_scope_modules (
    prefecture_id INTEGER NOT NULL,
    module        INTEGER NOT NULL,
    PRIMARY KEY (prefecture_id, module)
);
INSERT INTO new_scope_modules (prefecture_id, module)
    SELECT 1, module FROM scope_modules;

CREATE TABLE new_sites (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    prefecture_id INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    address       TEXT    NOT NULL DEFAULT '',
    time_zone     TEXT,
    UNIQUE (prefecture_id, id)
);
INSERT INTO new_sites (prefecture_id, id, name, kind, address, time_zone)
    SELECT 1, id, name, kind, address, time_zone FROM sites;

CREATE TABLE new_services (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    prefecture_id INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    code          TEXT    NOT NULL DEFAULT '',
    site_id       INTEGER NOT NULL,
    in_scope      INTEGER NOT NULL,
    email         TEXT,
    UNIQUE (prefecture_id, id),
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id)
);
INSERT INTO new_services (prefecture_id, id, name, code, site_id, in_scope, email)
    SELECT 1, id, name, code, site_id, in_scope, email FROM services;

CREATE TABLE new_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    prefecture_id INTEGER NOT NULL,
    email         TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'agent', 'viewer')),
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    created_at    TEXT    NOT NULL,
    last_login_at TEXT,
    UNIQUE (prefecture_id, id),
    UNIQUE (prefecture_id, email)
);
INSERT INTO new_users (prefecture_id, id, email, display_name, role, password_hash, active, created_at, last_login_at)
    SELECT 1, id, email, display_name, role, password_hash, active, created_at, last_login_at FROM users;

CREATE TABLE new_user_services (
    prefecture_id INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    service_id    INTEGER NOT NULL,
    PRIMARY KEY (prefecture_id, user_id, service_id),
    FOREIGN KEY (prefecture_id, user_id) REFERENCES new_users (prefecture_id, id) ON DELETE CASCADE,
    FOREIGN KEY (prefecture_id, service_id) REFERENCES new_services (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_user_services (prefecture_id, user_id, service_id)
    SELECT 1, user_id, service_id FROM user_services;

CREATE TABLE new_sessions (
    token_hash    TEXT    NOT NULL PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    csrf_token    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL,
    FOREIGN KEY (prefecture_id, user_id) REFERENCES new_users (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_sessions (prefecture_id, token_hash, user_id, csrf_token, created_at, expires_at)
    SELECT 1, token_hash, user_id, csrf_token, created_at, expires_at FROM sessions;

CREATE TABLE new_audit_log (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    at            TEXT    NOT NULL,
    actor_id      INTEGER,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    detail        TEXT    NOT NULL
);
INSERT INTO new_audit_log (prefecture_id, id, at, actor_id, actor, action, target, detail)
    SELECT 1, id, at, actor_id, actor, action, target, detail FROM audit_log;

CREATE TABLE new_site_closures (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    site_id       INTEGER NOT NULL,
    start_date    TEXT    NOT NULL,
    end_date      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    recorded_on   TEXT    NOT NULL,
    removed_on    TEXT,
    CHECK (end_date >= start_date),
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_site_closures (prefecture_id, id, site_id, start_date, end_date, reason, recorded_on, removed_on)
    SELECT 1, id, site_id, start_date, end_date, reason, recorded_on, removed_on FROM site_closures;

CREATE TABLE new_site_holidays (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    site_id       INTEGER NOT NULL,
    mode          TEXT    NOT NULL CHECK (mode IN ('worked', 'extra')),
    holiday       TEXT    NOT NULL,
    first_year    INTEGER,
    last_year     INTEGER,
    reason        TEXT    NOT NULL,
    recorded_on   TEXT    NOT NULL,
    removed_on    TEXT,
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_site_holidays (prefecture_id, id, site_id, mode, holiday, first_year, last_year, reason, recorded_on, removed_on)
    SELECT 1, id, site_id, mode, holiday, first_year, last_year, reason, recorded_on, removed_on FROM site_holidays;

CREATE TABLE new_imports (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,
    rows          INTEGER NOT NULL,
    imported_by   TEXT    NOT NULL,
    imported_at   TEXT    NOT NULL,
    UNIQUE (prefecture_id, id),
    UNIQUE (prefecture_id, sha256)
);
INSERT INTO new_imports (prefecture_id, id, kind, file_name, sha256, rows, imported_by, imported_at)
    SELECT 1, id, kind, file_name, sha256, rows, imported_by, imported_at FROM imports;

CREATE TABLE new_indicator_values (
    prefecture_id INTEGER NOT NULL,
    code          TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    site_id       INTEGER,
    value         REAL    NOT NULL,
    numerator     REAL,
    denominator   REAL,
    weight        REAL,
    origin        TEXT    NOT NULL CHECK (origin IN ('entered', 'imported')),
    import_id     INTEGER,
    updated_by    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id),
    FOREIGN KEY (prefecture_id, import_id) REFERENCES new_imports (prefecture_id, id)
);
INSERT INTO new_indicator_values (prefecture_id, code, period, site_id, value, numerator, denominator, weight, origin, import_id, updated_by, updated_at)
    SELECT 1, code, period, NULLIF(site_id, 0), value, numerator, denominator, weight, origin, import_id, updated_by, updated_at FROM indicator_values WHERE site_id = 0 OR site_id IN (SELECT id FROM sites);

CREATE TABLE new_indicator_targets (
    prefecture_id INTEGER NOT NULL,
    code          TEXT    NOT NULL,
    year          INTEGER NOT NULL,
    comparator    TEXT    NOT NULL CHECK (comparator IN ('>=', '>', '<=', '<')),
    value         REAL    NOT NULL,
    PRIMARY KEY (prefecture_id, code, year)
);
INSERT INTO new_indicator_targets (prefecture_id, code, year, comparator, value)
    SELECT 1, code, year, comparator, value FROM indicator_targets;

CREATE TABLE new_local_indicators (
    prefecture_id INTEGER NOT NULL,
    code          TEXT    NOT NULL,
    definition    TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, code)
);
INSERT INTO new_local_indicators (prefecture_id, code, definition)
    SELECT 1, code, definition FROM local_indicators;

CREATE TABLE new_period_validations (
    prefecture_id INTEGER NOT NULL,
    period        TEXT    NOT NULL,
    validated_by  TEXT    NOT NULL,
    validated_at  TEXT    NOT NULL,
    snapshot      TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, period)
);
INSERT INTO new_period_validations (prefecture_id, period, validated_by, validated_at, snapshot)
    SELECT 1, period, validated_by, validated_at, snapshot FROM period_validations;

CREATE TABLE new_reference_counters (
    prefecture_id INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    last          INTEGER NOT NULL,
    PRIMARY KEY (prefecture_id, year)
);
INSERT INTO new_reference_counters (prefecture_id, year, last)
    SELECT 1, year, last FROM reference_counters;

CREATE TABLE new_correspondence (
    id                INTEGER PRIMARY KEY,
    prefecture_id     INTEGER NOT NULL,
    reference         TEXT    NOT NULL,
    channel           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    site_id           INTEGER NOT NULL,
    service_id        INTEGER,
    received_at       TEXT    NOT NULL,
    received_on       TEXT    NOT NULL,
    registered_at     TEXT    NOT NULL,
    deadline_days     INTEGER NOT NULL,
    due_on            TEXT    NOT NULL,
    requester_name    TEXT    NOT NULL DEFAULT '',
    requester_email   TEXT    NOT NULL DEFAULT '',
    requester_address TEXT    NOT NULL DEFAULT '',
    subject           TEXT    NOT NULL DEFAULT '',
    in_scope          INTEGER NOT NULL,
    out_of_scope      TEXT,
    answered_on       TEXT,
    answer            TEXT,
    registered_by     TEXT    NOT NULL,
    body              TEXT    NOT NULL DEFAULT '',
    UNIQUE (prefecture_id, id),
    UNIQUE (prefecture_id, reference),
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id),
    FOREIGN KEY (prefecture_id, service_id) REFERENCES new_services (prefecture_id, id)
);
INSERT INTO new_correspondence (prefecture_id, id, reference, channel, kind, site_id, service_id, received_at, received_on, registered_at, deadline_days, due_on, requester_name, requester_email, requester_address, subject, in_scope, out_of_scope, answered_on, answer, registered_by, body)
    SELECT 1, id, reference, channel, kind, site_id, service_id, received_at, received_on, registered_at, deadline_days, due_on, requester_name, requester_email, requester_address, subject, in_scope, out_of_scope, answered_on, answer, registered_by, body FROM correspondence;

CREATE TABLE new_correspondence_transfers (
    id                INTEGER PRIMARY KEY,
    prefecture_id     INTEGER NOT NULL,
    correspondence_id INTEGER NOT NULL,
    from_service_id   INTEGER,
    to_service_id     INTEGER NOT NULL,
    at                TEXT    NOT NULL,
    by_label          TEXT    NOT NULL,
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES new_correspondence (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_correspondence_transfers (prefecture_id, id, correspondence_id, from_service_id, to_service_id, at, by_label)
    SELECT 1, id, correspondence_id, from_service_id, to_service_id, at, by_label FROM correspondence_transfers;

CREATE TABLE new_mail_outbox (
    id                INTEGER PRIMARY KEY,
    prefecture_id     INTEGER NOT NULL,
    to_address        TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    body              TEXT    NOT NULL,
    correspondence_id INTEGER,
    created_at        TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT    NOT NULL,
    last_error        TEXT,
    sent_at           TEXT,
    sender            TEXT,
    reply_to          TEXT,
    automatic         INTEGER NOT NULL DEFAULT 1,
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES new_correspondence (prefecture_id, id)
);
INSERT INTO new_mail_outbox (prefecture_id, id, to_address, subject, body, correspondence_id, created_at, attempts, next_attempt_at, last_error, sent_at, sender, reply_to, automatic)
    SELECT 1, id, to_address, subject, body, correspondence_id, created_at, attempts, next_attempt_at, last_error, sent_at, sender, reply_to, automatic FROM mail_outbox;

CREATE TABLE new_message_templates (
    prefecture_id INTEGER NOT NULL,
    key           TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, key)
);
INSERT INTO new_message_templates (prefecture_id, key, subject, body, updated_at, updated_by)
    SELECT 1, key, subject, body, updated_at, updated_by FROM message_templates;

CREATE TABLE new_sampled_weeks (
    prefecture_id INTEGER NOT NULL,
    start_date    TEXT    NOT NULL,
    end_date      TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, start_date),
    CHECK (end_date >= start_date)
);
INSERT INTO new_sampled_weeks (prefecture_id, start_date, end_date)
    SELECT 1, start_date, end_date FROM sampled_weeks;

CREATE TABLE new_log_entries (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    register      TEXT    NOT NULL,
    site_id       INTEGER NOT NULL,
    service_id    INTEGER,
    started_on    TEXT    NOT NULL,
    first_on      TEXT,
    second_on     TEXT,
    category      TEXT    NOT NULL DEFAULT '',
    minutes       INTEGER,
    label         TEXT    NOT NULL DEFAULT '',
    flag          INTEGER,
    recorded_by   TEXT    NOT NULL,
    recorded_at   TEXT    NOT NULL,
    commitment    INTEGER,
    FOREIGN KEY (prefecture_id, site_id) REFERENCES new_sites (prefecture_id, id),
    FOREIGN KEY (prefecture_id, service_id) REFERENCES new_services (prefecture_id, id)
);
INSERT INTO new_log_entries (prefecture_id, id, register, site_id, service_id, started_on, first_on, second_on, category, minutes, label, flag, recorded_by, recorded_at, commitment)
    SELECT 1, id, register, site_id, service_id, started_on, first_on, second_on, category, minutes, label, flag, recorded_by, recorded_at, commitment FROM log_entries;

CREATE TABLE new_job_runs (
    prefecture_id INTEGER NOT NULL,
    job           TEXT    NOT NULL,
    day           TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, job, day)
);
INSERT INTO new_job_runs (prefecture_id, job, day, at)
    SELECT 1, job, day, at FROM job_runs;

CREATE TABLE new_attachments (
    id                INTEGER PRIMARY KEY,
    prefecture_id     INTEGER NOT NULL,
    correspondence_id INTEGER NOT NULL,
    file_name         TEXT    NOT NULL,
    content_type      TEXT    NOT NULL,
    size              INTEGER NOT NULL,
    data              BLOB    NOT NULL,
    uploaded_at       TEXT    NOT NULL,
    uploaded_by       TEXT    NOT NULL,
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES new_correspondence (prefecture_id, id) ON DELETE CASCADE
);
INSERT INTO new_attachments (prefecture_id, id, correspondence_id, file_name, content_type, size, data, uploaded_at, uploaded_by)
    SELECT 1, id, correspondence_id, file_name, content_type, size, data, uploaded_at, uploaded_by FROM attachments;

CREATE TABLE new_imported_facts (
    prefecture_id INTEGER NOT NULL,
    source        TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    measure       TEXT    NOT NULL,
    value         REAL    NOT NULL,
    import_id     INTEGER NOT NULL,
    PRIMARY KEY (prefecture_id, source, period, key, measure),
    FOREIGN KEY (prefecture_id, import_id) REFERENCES new_imports (prefecture_id, id)
);
INSERT INTO new_imported_facts (prefecture_id, source, period, key, measure, value, import_id)
    SELECT 1, source, period, key, measure, value, import_id FROM imported_facts;

CREATE TABLE new_import_mappings (
    prefecture_id INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    definition    TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, name)
);
INSERT INTO new_import_mappings (prefecture_id, name, source, definition, updated_by, updated_at)
    SELECT 1, name, source, definition, updated_by, updated_at FROM import_mappings;

CREATE TABLE new_report_texts (
    prefecture_id INTEGER NOT NULL,
    year          INTEGER NOT NULL,
    section       TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (prefecture_id, year, section)
);
INSERT INTO new_report_texts (prefecture_id, year, section, body, updated_by, updated_at)
    SELECT 1, year, section, body, updated_by, updated_at FROM report_texts;

CREATE TABLE new_jobs (
    id            INTEGER PRIMARY KEY,
    prefecture_id INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    run_after     TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   TEXT,
    last_error    TEXT,
    detail        TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    UNIQUE (prefecture_id, kind, key)
);
INSERT INTO new_jobs (prefecture_id, id, kind, key, state, run_after, attempts, lease_owner, lease_until, last_error, detail, created_at, updated_at)
    SELECT 1, id, kind, key, state, run_after, attempts, lease_owner, lease_until, last_error, detail, created_at, updated_at FROM jobs;

DROP TABLE attachments;
DROP TABLE correspondence_transfers;
DROP TABLE mail_outbox;
DROP TABLE imported_facts;
DROP TABLE indicator_values;
DROP TABLE log_entries;
DROP TABLE correspondence;
DROP TABLE sessions;
DROP TABLE user_services;
DROP TABLE site_closures;
DROP TABLE site_holidays;
DROP TABLE services;
DROP TABLE users;
DROP TABLE sites;
DROP TABLE imports;
DROP TABLE prefecture;
DROP TABLE scope_modules;
DROP TABLE audit_log;
DROP TABLE indicator_targets;
DROP TABLE local_indicators;
DROP TABLE period_validations;
DROP TABLE reference_counters;
DROP TABLE message_templates;
DROP TABLE sampled_weeks;
DROP TABLE job_runs;
DROP TABLE import_mappings;
DROP TABLE report_texts;
DROP TABLE jobs;

ALTER TABLE new_prefecture RENAME TO prefecture;
ALTER TABLE new_scope_modules RENAME TO scope_modules;
ALTER TABLE new_sites RENAME TO sites;
ALTER TABLE new_services RENAME TO services;
ALTER TABLE new_users RENAME TO users;
ALTER TABLE new_user_services RENAME TO user_services;
ALTER TABLE new_sessions RENAME TO sessions;
ALTER TABLE new_audit_log RENAME TO audit_log;
ALTER TABLE new_site_closures RENAME TO site_closures;
ALTER TABLE new_site_holidays RENAME TO site_holidays;
ALTER TABLE new_imports RENAME TO imports;
ALTER TABLE new_indicator_values RENAME TO indicator_values;
ALTER TABLE new_indicator_targets RENAME TO indicator_targets;
ALTER TABLE new_local_indicators RENAME TO local_indicators;
ALTER TABLE new_period_validations RENAME TO period_validations;
ALTER TABLE new_reference_counters RENAME TO reference_counters;
ALTER TABLE new_correspondence RENAME TO correspondence;
ALTER TABLE new_correspondence_transfers RENAME TO correspondence_transfers;
ALTER TABLE new_mail_outbox RENAME TO mail_outbox;
ALTER TABLE new_message_templates RENAME TO message_templates;
ALTER TABLE new_sampled_weeks RENAME TO sampled_weeks;
ALTER TABLE new_log_entries RENAME TO log_entries;
ALTER TABLE new_job_runs RENAME TO job_runs;
ALTER TABLE new_attachments RENAME TO attachments;
ALTER TABLE new_imported_facts RENAME TO imported_facts;
ALTER TABLE new_import_mappings RENAME TO import_mappings;
ALTER TABLE new_report_texts RENAME TO report_texts;
ALTER TABLE new_jobs RENAME TO jobs;

CREATE UNIQUE INDEX indicator_values_site_key ON indicator_values (prefecture_id, code, period, site_id)
    WHERE site_id IS NOT NULL;
CREATE UNIQUE INDEX indicator_values_whole_key ON indicator_values (prefecture_id, code, period)
    WHERE site_id IS NULL;
CREATE INDEX services_site ON services (prefecture_id, site_id);
CREATE INDEX sessions_user ON sessions (prefecture_id, user_id);
CREATE INDEX audit_log_prefecture ON audit_log (prefecture_id, id);
CREATE INDEX site_closures_site ON site_closures (prefecture_id, site_id);
CREATE INDEX site_holidays_site ON site_holidays (prefecture_id, site_id);
CREATE INDEX indicator_values_period ON indicator_values (prefecture_id, period);
CREATE INDEX correspondence_received ON correspondence (prefecture_id, received_on);
CREATE INDEX correspondence_open ON correspondence (prefecture_id, due_on) WHERE answered_on IS NULL;
CREATE INDEX correspondence_service ON correspondence (prefecture_id, service_id);
CREATE INDEX correspondence_transfers_item ON correspondence_transfers (prefecture_id, correspondence_id);
CREATE INDEX mail_outbox_due ON mail_outbox (prefecture_id, next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_outbox_item ON mail_outbox (prefecture_id, correspondence_id);
CREATE INDEX log_entries_register ON log_entries (prefecture_id, register, started_on);
CREATE INDEX log_entries_site ON log_entries (prefecture_id, site_id);
CREATE INDEX attachments_item ON attachments (prefecture_id, correspondence_id);
CREATE INDEX imported_facts_period ON imported_facts (prefecture_id, period);
CREATE INDEX jobs_due ON jobs (prefecture_id, state, run_after);

-- The audit log stays append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
