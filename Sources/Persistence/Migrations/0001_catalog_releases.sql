-- Published standards catalog releases. A release is immutable once stored: the content hash is
-- checked on every publish, and the trigger below refuses edits to anything but the status.
CREATE TABLE catalog_releases (
    release_id     text PRIMARY KEY,              -- "apex-rpt@2026.1"
    catalog_id     text NOT NULL,
    version        text NOT NULL,
    title          text NOT NULL,
    effective_on   date NOT NULL,
    status         text NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    content_hash   text NOT NULL,                 -- SHA-256 of the canonical JSON below
    content        jsonb NOT NULL,                -- the whole release, canonical form
    published_at   timestamptz NOT NULL DEFAULT now(),
    retired_at     timestamptz,
    UNIQUE (catalog_id, version)
);

CREATE FUNCTION catalog_releases_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'catalog release % cannot be deleted; retire it instead', OLD.release_id;
    END IF;
    -- Only retirement may change a stored release: its status (one way) and the time it happened.
    IF (NEW.release_id, NEW.catalog_id, NEW.version, NEW.title, NEW.effective_on, NEW.content_hash, NEW.content, NEW.published_at)
       IS DISTINCT FROM (OLD.release_id, OLD.catalog_id, OLD.version, OLD.title, OLD.effective_on, OLD.content_hash, OLD.content, OLD.published_at) THEN
        RAISE EXCEPTION 'catalog release % is immutable', OLD.release_id;
    END IF;
    IF OLD.status = 'retired' AND NEW.status <> 'retired' THEN
        RAISE EXCEPTION 'catalog release % is retired; a retired release is not brought back', OLD.release_id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER catalog_releases_immutable
    BEFORE UPDATE OR DELETE ON catalog_releases
    FOR EACH ROW EXECUTE FUNCTION catalog_releases_immutable();
