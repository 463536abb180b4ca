-- Every change to what a GET of an application shows (the application, its survey team, its visit, its
-- practice's name) is announced on the `apex_application` channel after it commits, with the
-- application's id ('*' when many may be affected). Each apex listens and forgets its cached copy.
CREATE FUNCTION announce_application_change() RETURNS trigger AS $$
DECLARE
    row_value record;
BEGIN
    IF TG_OP = 'DELETE' THEN row_value := OLD; ELSE row_value := NEW; END IF;
    IF TG_TABLE_NAME = 'applications' THEN
        PERFORM pg_notify('apex_application', row_value.id::text);
    ELSIF TG_TABLE_NAME = 'practices' THEN
        PERFORM pg_notify('apex_application', '*');
    ELSE
        PERFORM pg_notify('apex_application', row_value.application_id::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER applications_announce AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION announce_application_change();
CREATE TRIGGER assignments_announce AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION announce_application_change();
CREATE TRIGGER visits_announce AFTER INSERT OR UPDATE OR DELETE ON visits
    FOR EACH ROW EXECUTE FUNCTION announce_application_change();
CREATE TRIGGER practices_announce AFTER UPDATE OF legal_name ON practices
    FOR EACH ROW EXECUTE FUNCTION announce_application_change();
