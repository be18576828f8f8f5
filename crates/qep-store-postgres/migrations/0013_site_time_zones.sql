-- Each site's legal time when it differs from its département's (an IANA zone name such as
-- 'America/Guadeloupe'); NULL keeps the département's (Europe/Paris in metropolitan France).
ALTER TABLE sites ADD COLUMN time_zone TEXT;
