-- What the HTTP API adds: long-lived API tokens (sessions with a name and an id to list and revoke them
-- by), one-time invitations, and idempotency keys that make retried uploads and transitions safe.

ALTER TABLE sessions
    ADD COLUMN id    uuid,
    ADD COLUMN kind  text NOT NULL DEFAULT 'session' CHECK (kind IN ('session', 'api')),
    ADD COLUMN name  text,
    ADD CONSTRAINT api_tokens_are_named CHECK (kind = 'session' OR (id IS NOT NULL AND name IS NOT NULL));
CREATE UNIQUE INDEX sessions_id ON sessions (id) WHERE id IS NOT NULL;

CREATE TABLE invitations (
    id            uuid PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,       -- SHA-256 of the link's token; the token itself is never stored
    email         text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('practice-admin', 'practice-contributor', 'surveyor', 'staff')),
    practice_id   uuid REFERENCES practices,
    discipline    text CHECK (discipline IN ('radiation-oncologist', 'medical-physicist')),
    invited_by    uuid NOT NULL REFERENCES people,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    person_id     uuid REFERENCES people
);

CREATE TABLE idempotency_keys (
    person_id     uuid NOT NULL REFERENCES people,
    key           text NOT NULL,
    fingerprint   text NOT NULL,              -- SHA-256 of what the request asked for
    status        integer,                    -- NULL while the first request is still running
    response      text,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (person_id, key)
);

GRANT SELECT, INSERT, UPDATE ON invitations TO apex_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO apex_service;
