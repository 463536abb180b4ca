-- Accounts and sessions: bcrypt password hashes, opaque bearer tokens stored only as SHA-256 hashes,
-- and the counters that slow and then lock repeated failed logins, per account and per client address.
ALTER TABLE people
    ADD COLUMN password_hash  text,
    ADD COLUMN failed_logins  integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_until   timestamptz;

CREATE TABLE sessions (
    token_hash   text PRIMARY KEY,            -- SHA-256 of the token; the token itself is never stored
    person_id    uuid NOT NULL REFERENCES people,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE login_failures (
    address       text PRIMARY KEY,           -- the client address failed logins came from
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

GRANT SELECT, INSERT, UPDATE ON sessions, login_failures TO apex_service;
