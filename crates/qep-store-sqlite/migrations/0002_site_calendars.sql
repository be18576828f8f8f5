-- Each site's own calendar choices: closures, holidays it works, local holidays it keeps.
-- Rows are never deleted, only withdrawn (removed_on), so that a calendar "as of" any past
-- date can be rebuilt exactly.

CREATE TABLE site_closures (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    start_date  TEXT    NOT NULL,
    end_date    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    recorded_on TEXT    NOT NULL,
    removed_on  TEXT,
    CHECK (end_date >= start_date)
);
CREATE INDEX site_closures_site ON site_closures (site_id);

CREATE TABLE site_holidays (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    mode        TEXT    NOT NULL CHECK (mode IN ('worked', 'extra')),
    holiday     TEXT    NOT NULL,
    first_year  INTEGER,
    last_year   INTEGER,
    reason      TEXT    NOT NULL,
    recorded_on TEXT    NOT NULL,
    removed_on  TEXT
);
CREATE INDEX site_holidays_site ON site_holidays (site_id);
