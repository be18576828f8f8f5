-- Daily jobs run once per day, whatever the number of processes.
CREATE TABLE job_runs (
    job TEXT        NOT NULL,
    day DATE        NOT NULL,
    at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job, day)
);
