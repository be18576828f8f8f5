-- Indicator values entered or imported, local targets and indicators, validated periods.

-- Files already imported: re-importing the same file (same SHA-256) changes nothing.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    sha256      TEXT    NOT NULL UNIQUE,
    rows        INTEGER NOT NULL,
    imported_by TEXT    NOT NULL,
    imported_at TEXT    NOT NULL
);

-- site_id 0 is the whole prefecture.
CREATE TABLE indicator_values (
    code        TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    site_id     INTEGER NOT NULL DEFAULT 0,
    value       REAL    NOT NULL,
    numerator   REAL,
    denominator REAL,
    weight      REAL,
    origin      TEXT    NOT NULL CHECK (origin IN ('entered', 'imported')),
    import_id   INTEGER REFERENCES imports (id),
    updated_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (code, period, site_id)
);
CREATE INDEX indicator_values_period ON indicator_values (period);

-- Local targets override the référentiel's national ones for a year.
CREATE TABLE indicator_targets (
    code       TEXT    NOT NULL,
    year       INTEGER NOT NULL,
    comparator TEXT    NOT NULL CHECK (comparator IN ('>=', '>', '<=', '<')),
    value      REAL    NOT NULL,
    PRIMARY KEY (code, year)
);

-- Indicators a prefecture adds on its own (definition as JSON).
CREATE TABLE local_indicators (
    code       TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);

-- A validated period is frozen: its results as computed that day are kept here.
CREATE TABLE period_validations (
    period       TEXT PRIMARY KEY,
    validated_by TEXT NOT NULL,
    validated_at TEXT NOT NULL,
    snapshot     TEXT NOT NULL
);
