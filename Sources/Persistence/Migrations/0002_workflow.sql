-- The accreditation workflow: practices and people, applications pinned to a catalog release, the
-- records surveyors and staff work on, an append-only hash-chained history, and stored timers.
-- States are checked by the application's transition tables; the database keeps rows consistent.

CREATE TABLE practices (
    id              uuid PRIMARY KEY,
    legal_name      text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 300),
    address         text NOT NULL,
    licence_number  text NOT NULL,
    regulator       text NOT NULL CHECK (regulator ~ '^US-(NRC|[A-Z]{2})$'),
    scope           jsonb NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX practices_name ON practices (lower(legal_name));

CREATE TABLE facilities (
    id              uuid PRIMARY KEY,
    practice_id     uuid NOT NULL REFERENCES practices,
    name            text NOT NULL,
    address         text NOT NULL,
    is_main         boolean NOT NULL,
    distance_miles  numeric NOT NULL CHECK (distance_miles >= 0)
);
CREATE UNIQUE INDEX facilities_one_main ON facilities (practice_id) WHERE is_main;

CREATE TABLE people (
    id              uuid PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    display_name    text NOT NULL,
    role            text NOT NULL CHECK (role IN ('practice-admin', 'practice-contributor', 'surveyor', 'staff', 'administrator')),
    practice_id     uuid REFERENCES practices,
    discipline      text CHECK (discipline IN ('radiation-oncologist', 'medical-physicist')),
    created_at      timestamptz NOT NULL,
    CHECK ((role IN ('practice-admin', 'practice-contributor')) = (practice_id IS NOT NULL)),
    -- Surveyors have a discipline; staff may have one too (a staff physicist who also surveys).
    CHECK (role <> 'surveyor' OR discipline IS NOT NULL),
    CHECK (discipline IS NULL OR role IN ('surveyor', 'staff'))
);

-- A surveyor's declared ties to practices or their facilities (employment, ownership, consulting …).
CREATE TABLE affiliations (
    person_id       uuid NOT NULL REFERENCES people,
    practice_id     uuid REFERENCES practices,
    facility_id     uuid REFERENCES facilities,
    nature          text NOT NULL,
    CHECK (practice_id IS NOT NULL OR facility_id IS NOT NULL)
);
CREATE INDEX affiliations_person ON affiliations (person_id);

CREATE TABLE applications (
    id                       uuid PRIMARY KEY,
    practice_id              uuid NOT NULL REFERENCES practices,
    release_id               text NOT NULL REFERENCES catalog_releases,
    pathway                  text NOT NULL CHECK (pathway IN ('rpt-paired', 'rpt-standalone')),
    term_years               integer NOT NULL CHECK (term_years IN (3, 4)),
    scope                    jsonb NOT NULL,      -- the practice's scope when the application was made
    state                    text NOT NULL,
    version                  integer NOT NULL DEFAULT 1,
    previous_application_id  uuid REFERENCES applications,
    term_start               date,
    term_end                 date,
    appeal_deadline          timestamptz,
    -- Head of this application's history chain, written with every event: `audit verify` compares it
    -- with the last event, so deleting events from the end of a chain is detected too.
    history_seq              integer NOT NULL DEFAULT 0,
    history_hash             text NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX applications_practice ON applications (practice_id);
CREATE INDEX applications_state ON applications (state);

CREATE TABLE responses (
    application_id  uuid NOT NULL REFERENCES applications,
    indicator_code  text NOT NULL,
    answer          text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    responded_by    uuid NOT NULL REFERENCES people,
    responded_at    timestamptz NOT NULL,
    PRIMARY KEY (application_id, indicator_code)
);

CREATE TABLE evidence_documents (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    title           text NOT NULL,
    kind            text NOT NULL,
    as_of           date NOT NULL,
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    byte_count      bigint NOT NULL CHECK (byte_count > 0),
    media_type      text NOT NULL,
    file_name       text NOT NULL,
    state           text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    supersedes_id   uuid REFERENCES evidence_documents,
    uploaded_by     uuid NOT NULL REFERENCES people,
    uploaded_at     timestamptz NOT NULL
);
CREATE INDEX evidence_application ON evidence_documents (application_id);

CREATE TABLE evidence_links (
    document_id     uuid NOT NULL REFERENCES evidence_documents,
    indicator_code  text NOT NULL,
    PRIMARY KEY (document_id, indicator_code)
);

CREATE TABLE assignments (
    id                    uuid PRIMARY KEY,
    application_id        uuid NOT NULL REFERENCES applications,
    surveyor_id           uuid NOT NULL REFERENCES people,
    state                 text NOT NULL,
    version               integer NOT NULL DEFAULT 1,
    attestation           text,
    attested_at           timestamptz,
    created_at            timestamptz NOT NULL
);
CREATE UNIQUE INDEX assignments_open ON assignments (application_id, surveyor_id) WHERE state IN ('proposed', 'accepted');

CREATE TABLE scores (
    application_id  uuid NOT NULL REFERENCES applications,
    indicator_code  text NOT NULL,
    value           text NOT NULL CHECK (value IN ('compliant', 'partially-compliant', 'non-compliant', 'not-applicable')),
    rationale       text NOT NULL,
    evidence_ids    uuid[] NOT NULL DEFAULT '{}',
    version         integer NOT NULL DEFAULT 1,
    scored_by       uuid NOT NULL REFERENCES people,
    scored_at       timestamptz NOT NULL,
    PRIMARY KEY (application_id, indicator_code)
);

CREATE TABLE rfis (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    indicator_code  text,
    question        text NOT NULL,
    answer          text,
    state           text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    due_at          timestamptz NOT NULL,
    created_by      uuid NOT NULL REFERENCES people,
    created_at      timestamptz NOT NULL
);
CREATE INDEX rfis_application ON rfis (application_id);

CREATE TABLE visits (
    application_id  uuid PRIMARY KEY REFERENCES applications,
    mode            text NOT NULL CHECK (mode IN ('on-site', 'virtual')),
    visit_date      date NOT NULL
);

CREATE TABLE determinations (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    outcome         text NOT NULL CHECK (outcome IN ('accredited', 'provisional', 'denied')),
    recommendation  jsonb NOT NULL,
    rationale       text NOT NULL,
    decided_by      uuid NOT NULL REFERENCES people,
    decided_at      timestamptz NOT NULL
);

CREATE TABLE corrective_actions (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    indicator_code  text NOT NULL,
    description     text NOT NULL,
    response        text,
    state           text NOT NULL,
    version         integer NOT NULL DEFAULT 1,
    due_at          timestamptz NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX corrective_actions_application ON corrective_actions (application_id);

CREATE TABLE appeals (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    grounds         text NOT NULL,
    filed_by        uuid NOT NULL REFERENCES people,
    filed_at        timestamptz NOT NULL
);

CREATE TABLE change_notices (
    id              uuid PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    description     text NOT NULL,
    filed_by        uuid NOT NULL REFERENCES people,
    filed_at        timestamptz NOT NULL
);

-- Append-only history, one hash chain per application: each event's hash covers its content and the
-- previous event's hash, so an edited or deleted row breaks the chain from that point on.
CREATE TABLE history_events (
    id              bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    seq             integer NOT NULL,
    occurred_at     timestamptz NOT NULL,
    actor_id        uuid,
    actor_role      text NOT NULL,
    machine         text NOT NULL,
    subject_id      uuid NOT NULL,
    action          text NOT NULL,
    from_state      text,
    to_state        text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    payload         text NOT NULL DEFAULT '{}',   -- canonical JSON, exactly the bytes hashed
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    UNIQUE (application_id, seq)
);

CREATE FUNCTION history_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history events are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER history_events_append_only
    BEFORE UPDATE OR DELETE ON history_events
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only();
CREATE TRIGGER history_events_no_truncate
    BEFORE TRUNCATE ON history_events
    FOR EACH STATEMENT EXECUTE FUNCTION history_events_append_only();

-- Deadlines as data: the scheduler fires due timers as system transitions.
CREATE TABLE timers (
    id              bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES applications,
    machine         text NOT NULL,
    subject_id      uuid NOT NULL,
    action          text NOT NULL,
    due_at          timestamptz NOT NULL,
    fired_at        timestamptz,
    outcome         text
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;

-- The role the service uses day to day: it may read and write the workflow, but the history only grows.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'apex_service') THEN
        CREATE ROLE apex_service NOLOGIN;
    END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE ON practices, facilities, people, affiliations, applications, responses,
    evidence_documents, evidence_links, assignments, scores, rfis, visits, determinations,
    corrective_actions, appeals, change_notices, timers, catalog_releases TO apex_service;
GRANT DELETE ON responses, evidence_links, scores TO apex_service;
GRANT SELECT, INSERT ON history_events TO apex_service;
GRANT USAGE ON SEQUENCE history_events_id_seq, timers_id_seq TO apex_service;
GRANT SELECT ON schema_migrations TO apex_service;
-- The login role that migrates must be able to work as the service role (a no-op for superusers).
DO $$
BEGIN
    EXECUTE format('GRANT apex_service TO %I', current_user);
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not grant apex_service to %; grant it as a superuser', current_user;
END
$$;
