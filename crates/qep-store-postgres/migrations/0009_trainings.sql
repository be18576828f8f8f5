-- Trainings: the commitment a training is for (renewed every 4 years).
ALTER TABLE log_entries ADD COLUMN commitment INTEGER;
