-- Sampled weeks: when a prefecture declares any, indicators that allow sampling are
-- computed on the items received in these weeks only (REFERENTIEL.md §3.2, "1 semaine par mois").

CREATE TABLE sampled_weeks (
    start_date DATE PRIMARY KEY,
    end_date   DATE NOT NULL,
    CHECK (end_date >= start_date)
);
