-- Every row carries its prefecture, so one database can hold many prefectures (the
-- ministry's national instance, a shared regional hosting) while a single prefecture's
-- database keeps working: its rows become prefecture 1. Keys, uniques and indexes lead with
-- the prefecture, and foreign keys include it, so that a row can only refer to rows of its
-- own prefecture. Kept in step with ../../qep-store-sqlite/migrations/0015 (a test compares
-- the two schemas).

ALTER TABLE prefecture DROP CONSTRAINT prefecture_id_check;

-- The old single-column foreign keys give way to composite ones below.
ALTER TABLE services DROP CONSTRAINT services_site_id_fkey;
ALTER TABLE user_services DROP CONSTRAINT user_services_service_id_fkey;
ALTER TABLE user_services DROP CONSTRAINT user_services_user_id_fkey;
ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey;
ALTER TABLE site_closures DROP CONSTRAINT site_closures_site_id_fkey;
ALTER TABLE site_holidays DROP CONSTRAINT site_holidays_site_id_fkey;
ALTER TABLE indicator_values DROP CONSTRAINT indicator_values_import_id_fkey;
ALTER TABLE correspondence DROP CONSTRAINT correspondence_service_id_fkey;
ALTER TABLE correspondence DROP CONSTRAINT correspondence_site_id_fkey;
ALTER TABLE correspondence_transfers DROP CONSTRAINT correspondence_transfers_correspondence_id_fkey;
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_correspondence_id_fkey;
ALTER TABLE log_entries DROP CONSTRAINT log_entries_service_id_fkey;
ALTER TABLE log_entries DROP CONSTRAINT log_entries_site_id_fkey;
ALTER TABLE attachments DROP CONSTRAINT attachments_correspondence_id_fkey;
ALTER TABLE imported_facts DROP CONSTRAINT imported_facts_import_id_fkey;

-- The prefecture column: existing rows are prefecture 1; new rows must say theirs.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['scope_modules', 'sites', 'services', 'users', 'user_services',
        'sessions', 'audit_log', 'site_closures', 'site_holidays', 'imports',
        'indicator_values', 'indicator_targets', 'local_indicators', 'period_validations',
        'reference_counters', 'correspondence', 'correspondence_transfers', 'mail_outbox',
        'message_templates', 'sampled_weeks', 'log_entries', 'job_runs', 'attachments',
        'imported_facts', 'import_mappings', 'report_texts', 'jobs']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN prefecture_id BIGINT NOT NULL DEFAULT 1', t);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN prefecture_id DROP DEFAULT', t);
    END LOOP;
END;
$$;

-- Parents: (prefecture, id) is what children refer to.
ALTER TABLE sites ADD CONSTRAINT sites_scope UNIQUE (prefecture_id, id);
ALTER TABLE services ADD CONSTRAINT services_scope UNIQUE (prefecture_id, id);
ALTER TABLE users ADD CONSTRAINT users_scope UNIQUE (prefecture_id, id);
ALTER TABLE imports ADD CONSTRAINT imports_scope UNIQUE (prefecture_id, id);
ALTER TABLE correspondence ADD CONSTRAINT correspondence_scope UNIQUE (prefecture_id, id);

-- Natural keys, per prefecture.
ALTER TABLE scope_modules DROP CONSTRAINT scope_modules_pkey;
ALTER TABLE scope_modules ADD PRIMARY KEY (prefecture_id, module);
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (prefecture_id, email);
ALTER TABLE user_services DROP CONSTRAINT user_services_pkey;
ALTER TABLE user_services ADD PRIMARY KEY (prefecture_id, user_id, service_id);
ALTER TABLE imports DROP CONSTRAINT imports_sha256_key;
ALTER TABLE imports ADD CONSTRAINT imports_sha256_key UNIQUE (prefecture_id, sha256);
ALTER TABLE indicator_targets DROP CONSTRAINT indicator_targets_pkey;
ALTER TABLE indicator_targets ADD PRIMARY KEY (prefecture_id, code, year);
ALTER TABLE local_indicators DROP CONSTRAINT local_indicators_pkey;
ALTER TABLE local_indicators ADD PRIMARY KEY (prefecture_id, code);
ALTER TABLE period_validations DROP CONSTRAINT period_validations_pkey;
ALTER TABLE period_validations ADD PRIMARY KEY (prefecture_id, period);
ALTER TABLE reference_counters DROP CONSTRAINT reference_counters_pkey;
ALTER TABLE reference_counters ADD PRIMARY KEY (prefecture_id, year);
ALTER TABLE correspondence DROP CONSTRAINT correspondence_reference_key;
ALTER TABLE correspondence ADD CONSTRAINT correspondence_reference_key UNIQUE (prefecture_id, reference);
ALTER TABLE message_templates DROP CONSTRAINT message_templates_pkey;
ALTER TABLE message_templates ADD PRIMARY KEY (prefecture_id, key);
ALTER TABLE sampled_weeks DROP CONSTRAINT sampled_weeks_pkey;
ALTER TABLE sampled_weeks ADD PRIMARY KEY (prefecture_id, start_date);
ALTER TABLE job_runs DROP CONSTRAINT job_runs_pkey;
ALTER TABLE job_runs ADD PRIMARY KEY (prefecture_id, job, day);
ALTER TABLE imported_facts DROP CONSTRAINT imported_facts_pkey;
ALTER TABLE imported_facts ADD PRIMARY KEY (prefecture_id, source, period, key, measure);
ALTER TABLE import_mappings DROP CONSTRAINT import_mappings_pkey;
ALTER TABLE import_mappings ADD PRIMARY KEY (prefecture_id, name);
ALTER TABLE report_texts DROP CONSTRAINT report_texts_pkey;
ALTER TABLE report_texts ADD PRIMARY KEY (prefecture_id, year, section);
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_key_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_key_key UNIQUE (prefecture_id, kind, key);

-- Whole-prefecture indicator values had the fake site 0; they now have no site, and a
-- per-site value refers to a real site. Values of a site deleted meanwhile belonged to no
-- site any more (SQLite even passed them to the next site created): they are dropped.
ALTER TABLE indicator_values DROP CONSTRAINT indicator_values_pkey;
ALTER TABLE indicator_values ALTER COLUMN site_id DROP NOT NULL;
ALTER TABLE indicator_values ALTER COLUMN site_id DROP DEFAULT;
UPDATE indicator_values SET site_id = NULL WHERE site_id = 0;
DELETE FROM indicator_values WHERE site_id IS NOT NULL AND site_id NOT IN (SELECT id FROM sites);
CREATE UNIQUE INDEX indicator_values_site_key ON indicator_values (prefecture_id, code, period, site_id)
    WHERE site_id IS NOT NULL;
CREATE UNIQUE INDEX indicator_values_whole_key ON indicator_values (prefecture_id, code, period)
    WHERE site_id IS NULL;

-- Foreign keys within a prefecture. A deleted service leaves its items and log entries
-- without a service: the store clears them in the deleting transaction.
ALTER TABLE services ADD CONSTRAINT services_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id);
ALTER TABLE user_services ADD CONSTRAINT user_services_user_id_fkey
    FOREIGN KEY (prefecture_id, user_id) REFERENCES users (prefecture_id, id) ON DELETE CASCADE;
ALTER TABLE user_services ADD CONSTRAINT user_services_service_id_fkey
    FOREIGN KEY (prefecture_id, service_id) REFERENCES services (prefecture_id, id) ON DELETE CASCADE;
ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey
    FOREIGN KEY (prefecture_id, user_id) REFERENCES users (prefecture_id, id) ON DELETE CASCADE;
ALTER TABLE site_closures ADD CONSTRAINT site_closures_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id) ON DELETE CASCADE;
ALTER TABLE site_holidays ADD CONSTRAINT site_holidays_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id) ON DELETE CASCADE;
ALTER TABLE indicator_values ADD CONSTRAINT indicator_values_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id);
ALTER TABLE indicator_values ADD CONSTRAINT indicator_values_import_id_fkey
    FOREIGN KEY (prefecture_id, import_id) REFERENCES imports (prefecture_id, id);
ALTER TABLE correspondence ADD CONSTRAINT correspondence_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id);
ALTER TABLE correspondence ADD CONSTRAINT correspondence_service_id_fkey
    FOREIGN KEY (prefecture_id, service_id) REFERENCES services (prefecture_id, id);
ALTER TABLE correspondence_transfers ADD CONSTRAINT correspondence_transfers_correspondence_id_fkey
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES correspondence (prefecture_id, id)
    ON DELETE CASCADE;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_correspondence_id_fkey
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES correspondence (prefecture_id, id);
ALTER TABLE log_entries ADD CONSTRAINT log_entries_site_id_fkey
    FOREIGN KEY (prefecture_id, site_id) REFERENCES sites (prefecture_id, id);
ALTER TABLE log_entries ADD CONSTRAINT log_entries_service_id_fkey
    FOREIGN KEY (prefecture_id, service_id) REFERENCES services (prefecture_id, id);
ALTER TABLE attachments ADD CONSTRAINT attachments_correspondence_id_fkey
    FOREIGN KEY (prefecture_id, correspondence_id) REFERENCES correspondence (prefecture_id, id)
    ON DELETE CASCADE;
ALTER TABLE imported_facts ADD CONSTRAINT imported_facts_import_id_fkey
    FOREIGN KEY (prefecture_id, import_id) REFERENCES imports (prefecture_id, id);

-- Indexes lead with the prefecture, as every query does.
DROP INDEX services_site;
CREATE INDEX services_site ON services (prefecture_id, site_id);
DROP INDEX sessions_user;
CREATE INDEX sessions_user ON sessions (prefecture_id, user_id);
CREATE INDEX audit_log_prefecture ON audit_log (prefecture_id, id);
DROP INDEX site_closures_site;
CREATE INDEX site_closures_site ON site_closures (prefecture_id, site_id);
DROP INDEX site_holidays_site;
CREATE INDEX site_holidays_site ON site_holidays (prefecture_id, site_id);
DROP INDEX indicator_values_period;
CREATE INDEX indicator_values_period ON indicator_values (prefecture_id, period);
DROP INDEX correspondence_received;
CREATE INDEX correspondence_received ON correspondence (prefecture_id, received_on);
DROP INDEX correspondence_open;
CREATE INDEX correspondence_open ON correspondence (prefecture_id, due_on) WHERE answered_on IS NULL;
DROP INDEX correspondence_service;
CREATE INDEX correspondence_service ON correspondence (prefecture_id, service_id);
CREATE INDEX correspondence_transfers_item ON correspondence_transfers (prefecture_id, correspondence_id);
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (prefecture_id, next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_outbox_item ON mail_outbox (prefecture_id, correspondence_id);
DROP INDEX log_entries_register;
CREATE INDEX log_entries_register ON log_entries (prefecture_id, register, started_on);
CREATE INDEX log_entries_site ON log_entries (prefecture_id, site_id);
DROP INDEX attachments_item;
CREATE INDEX attachments_item ON attachments (prefecture_id, correspondence_id);
DROP INDEX imported_facts_period;
CREATE INDEX imported_facts_period ON imported_facts (prefecture_id, period);
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (prefecture_id, state, run_after);
