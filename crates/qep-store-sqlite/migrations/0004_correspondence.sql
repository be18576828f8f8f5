-- The correspondence and feedback register.

CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE correspondence (
    id                INTEGER PRIMARY KEY,
    reference         TEXT    NOT NULL UNIQUE,
    channel           TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    service_id        INTEGER REFERENCES services (id) ON DELETE SET NULL,
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
    registered_by     TEXT    NOT NULL
);
CREATE INDEX correspondence_received ON correspondence (received_on);
CREATE INDEX correspondence_open ON correspondence (due_on) WHERE answered_on IS NULL;
CREATE INDEX correspondence_service ON correspondence (service_id);

CREATE TABLE correspondence_transfers (
    id                INTEGER PRIMARY KEY,
    correspondence_id INTEGER NOT NULL REFERENCES correspondence (id) ON DELETE CASCADE,
    from_service_id   INTEGER,
    to_service_id     INTEGER NOT NULL,
    at                TEXT    NOT NULL,
    by_label          TEXT    NOT NULL
);
