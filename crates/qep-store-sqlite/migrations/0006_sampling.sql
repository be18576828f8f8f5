-- Sampled weeks: when a prefecture declares any, indicators that allow sampling are
-- computed on the items received in these weeks only (REFERENTIEL.md §3.2, "1 semaine par mois").

CREATE TABLE sampled_weeks (
    start_date TEXT PRIMARY KEY,
    end_date   TEXT NOT NULL,
    CHECK (end_date >= start_date)
);
