-- One mailbox, one account; sign-in attempts counted as the documentation says; offboarding.
--
-- 1. Emails are stored in one canonical form (EmailAddress in Sources/AccreditationCore): NFKC, full
--    case folding, NFKC. canonical_email() computes the same form in SQL for the rows already stored,
--    removing invisible and control characters that apex now refuses in new input. When two accounts
--    turn out to share one address, the migration stops and names them: which account a person keeps
--    (and whose history goes with it) is for a person to decide, not for a migration.
-- 2. login_attempts holds the sign-ins being checked right now, apart from the failures in
--    login_failures, so a burst of correct sign-ins is never counted (or answered) as failures.
-- 3. People can be deactivated; invitations can be revoked; person_events records who deactivated
--    whom, changed a role or practice, or set a password, and only grows.

-- The canonical form in SQL. Lower case with ICU's root locale (the database's own lower() only knows
-- ASCII under the C locale apex uses), then the three places where full case folding goes beyond lower
-- case: ß, final sigma and the Greek iota subscript (found by comparing the two over all of Unicode).
CREATE FUNCTION canonical_email(raw text) RETURNS text LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    value text;
    utf8 boolean := current_setting('server_encoding') = 'UTF8';
BEGIN
    IF utf8 THEN
        value := regexp_replace(raw, '[\u0001-\u001F\u007F-\u009F\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u115F-\u1160\u17B4-\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]', '', 'g');
        value := regexp_replace(value, '^[[:space:]\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[[:space:]\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$', '', 'g');
    ELSE
        value := btrim(regexp_replace(raw, '[[:cntrl:]]', '', 'g'));
    END IF;
    IF utf8 THEN value := normalize(value, NFKC); END IF;
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        EXECUTE 'SELECT lower($1 COLLATE "und-x-icu")' INTO value USING value;
    ELSE
        value := lower(value);
    END IF;
    IF utf8 THEN
        value := normalize(value, NFD);
        value := replace(replace(replace(value, 'ß', 'ss'), 'ς', 'σ'), U&'\0345', 'ι');
        value := normalize(value, NFKC);
    END IF;
    RETURN value;
END;
$fn$;

DO $$
DECLARE
    problems text;
BEGIN
    SELECT string_agg(format('%s (accounts %s)', canonical, accounts), '; ') INTO problems FROM (
        SELECT canonical_email(email) AS canonical, string_agg(format('%s %s', id, email), ', ' ORDER BY created_at, id) AS accounts
        FROM people GROUP BY 1 HAVING count(*) > 1) AS clash;
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION '%', 'Accounts share one email address once compared as apex now compares them (Unicode NFKC and case folding): '
            || problems || '. Decide which account each person keeps, give the others another address '
            || '(UPDATE people SET email = ... WHERE id = ...), then start apex again. See docs/operations.md, "Canonical email addresses".';
    END IF;
    SELECT string_agg(format('%s %s', id, email), ', ') INTO problems FROM people WHERE canonical_email(email) !~ '^[^@]+@[^@]+$';
    IF problems IS NOT NULL THEN
        RAISE EXCEPTION '%', 'These accounts have no usable email address once invisible characters are removed: '
            || problems || '. Give them one (UPDATE people SET email = ... WHERE id = ...) and start apex again.';
    END IF;
END
$$;

UPDATE people SET email = canonical_email(email) WHERE email IS DISTINCT FROM canonical_email(email);
UPDATE invitations SET email = canonical_email(email) WHERE email IS DISTINCT FROM canonical_email(email);

-- Only canonical addresses can be stored, so the uniqueness of people.email is uniqueness of the form.
DO $$
BEGIN
    IF current_setting('server_encoding') = 'UTF8' THEN
        ALTER TABLE people ADD CONSTRAINT people_email_canonical
            CHECK (email IS NFKC NORMALIZED AND email !~ '[A-Z[:space:][:cntrl:]]' AND email ~ '^[^@]+@[^@]+$');
        ALTER TABLE invitations ADD CONSTRAINT invitations_email_canonical
            CHECK (email IS NFKC NORMALIZED AND email !~ '[A-Z[:space:][:cntrl:]]' AND email ~ '^[^@]+@[^@]+$');
    ELSE
        ALTER TABLE people ADD CONSTRAINT people_email_canonical CHECK (email !~ '[A-Z[:space:][:cntrl:]]' AND email ~ '^[^@]+@[^@]+$');
        ALTER TABLE invitations ADD CONSTRAINT invitations_email_canonical CHECK (email !~ '[A-Z[:space:][:cntrl:]]' AND email ~ '^[^@]+@[^@]+$');
    END IF;
END
$$;

-- Sign-ins being checked now, one row per attempt and subject (the email, the client address). They
-- are not failures: they only keep a burst from checking more passwords than the failures left allow.
-- A row older than a minute belongs to an attempt that never finished (a crash) and no longer counts.
CREATE TABLE login_attempts (
    attempt_id  uuid NOT NULL,
    subject     text NOT NULL,
    started_at  timestamptz NOT NULL,
    PRIMARY KEY (attempt_id, subject)
);
CREATE INDEX login_attempts_subject ON login_attempts (subject, started_at);

ALTER TABLE people
    ADD COLUMN deactivated_at  timestamptz,
    ADD COLUMN deactivated_by  uuid REFERENCES people;
ALTER TABLE invitations ADD COLUMN revoked_at timestamptz;
CREATE INDEX invitations_invited_by ON invitations (invited_by) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- What was done to a person's account, by whom; append-only like the application history.
CREATE TABLE person_events (
    id           bigserial PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES people,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid REFERENCES people,             -- NULL: an operator on the command line
    actor_role   text NOT NULL,
    action       text NOT NULL CHECK (action IN ('deactivated', 'role-changed', 'password-set')),
    detail       jsonb NOT NULL DEFAULT '{}',
    reason       text NOT NULL DEFAULT ''
);
CREATE INDEX person_events_person ON person_events (person_id, id);
CREATE TRIGGER person_events_append_only
    BEFORE UPDATE OR DELETE ON person_events
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only();
CREATE TRIGGER person_events_no_truncate
    BEFORE TRUNCATE ON person_events
    FOR EACH STATEMENT EXECUTE FUNCTION history_events_append_only();

GRANT SELECT, INSERT, DELETE ON login_attempts TO apex_service;
GRANT SELECT, INSERT ON person_events TO apex_service;
GRANT USAGE ON SEQUENCE person_events_id_seq TO apex_service;
GRANT EXECUTE ON FUNCTION canonical_email(text) TO apex_service;
