-- The free texts of a year's quality report (introduction, a comment per module,
-- conclusion), written by the quality lead and kept with the year.
CREATE TABLE report_texts (
    year       INTEGER NOT NULL,
    section    TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    updated_by TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (year, section)
);
