-- Statistics imported from files (telephony, titles, web, social…), reduced to facts:
-- one number per (source, period, key, measure). A corrected file replaces the facts it
-- carries; the indicators are derived from the facts when results are computed.
CREATE TABLE imported_facts (
    source    TEXT             NOT NULL,
    period    TEXT             NOT NULL,
    key       TEXT             NOT NULL,
    measure   TEXT             NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    import_id BIGINT           NOT NULL REFERENCES imports (id),
    PRIMARY KEY (source, period, key, measure)
);
CREATE INDEX imported_facts_period ON imported_facts (period);

-- Column mappings saved by the quality lead (TOML, checked by the application).
CREATE TABLE import_mappings (
    name       TEXT        PRIMARY KEY,
    source     TEXT        NOT NULL,
    definition TEXT        NOT NULL,
    updated_by TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
