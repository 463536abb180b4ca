-- The read behind every GET of an application: the record, its practice's name, its visit and the
-- surveyors who may see it, in one call. PL/pgSQL keeps the statement's plan for the session, so the
-- hottest read is not planned again on every request (as a plain query it was).
CREATE FUNCTION application_read(wanted uuid)
RETURNS TABLE (practice_id uuid, release_id text, state text, version integer, term_start text, term_end text,
               previous_application_id uuid, pathway text, term_years integer, practice_name text, visit_mode text,
               visit_date text, created_at timestamptz, updated_at timestamptz, surveyors uuid[])
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT a.practice_id, a.release_id, a.state, a.version, to_char(a.term_start, 'YYYY-MM-DD'), to_char(a.term_end, 'YYYY-MM-DD'),
           a.previous_application_id, a.pathway, a.term_years, p.legal_name, v.mode, to_char(v.visit_date, 'YYYY-MM-DD'),
           a.created_at, a.updated_at,
           ARRAY(SELECT s.surveyor_id FROM assignments s WHERE s.application_id = a.id AND s.state IN ('accepted', 'completed'))
    FROM applications a JOIN practices p ON p.id = a.practice_id LEFT JOIN visits v ON v.application_id = a.id
    WHERE a.id = wanted;
END;
$$;
