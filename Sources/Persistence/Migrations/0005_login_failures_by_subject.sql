-- Failed sign-ins are counted per email address as typed (whether or not an account has it) and per
-- client address, in one table, so an unknown email is slowed and locked exactly like a known one and
-- the answers cannot tell them apart. The per-person counters are no longer used.
ALTER TABLE login_failures RENAME COLUMN address TO subject;
DELETE FROM login_failures;
ALTER TABLE people DROP COLUMN failed_logins, DROP COLUMN locked_until;
GRANT DELETE ON login_failures TO apex_service;
