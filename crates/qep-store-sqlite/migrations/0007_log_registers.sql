-- The simpler registers (officials' meetings, website/IVR updates, PAN visits, crisis log).

CREATE TABLE log_entries (
    id          INTEGER PRIMARY KEY,
    register    TEXT    NOT NULL,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    service_id  INTEGER REFERENCES services (id) ON DELETE SET NULL,
    started_on  TEXT    NOT NULL,
    first_on    TEXT,
    second_on   TEXT,
    category    TEXT    NOT NULL DEFAULT '',
    minutes     INTEGER,
    label       TEXT    NOT NULL DEFAULT '',
    flag        INTEGER,
    recorded_by TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL
);
CREATE INDEX log_entries_register ON log_entries (register, started_on);
