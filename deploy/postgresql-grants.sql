-- The rights of the app's PostgreSQL role (README, «Database rights»), run as the owner of the tables
-- after each `manage.py migrate`: everything the app needs, nothing that could undo the guards.
-- The role is never the owner (an owner can DROP TRIGGER); no TRUNCATE, TRIGGER or REFERENCES.
GRANT USAGE ON SCHEMA public TO efinance_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO efinance_app;
REVOKE DELETE, TRUNCATE ON apikeys_apikey, audit_auditevent FROM efinance_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO efinance_app;
