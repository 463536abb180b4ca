-- The exact bytes an event's hash covers, built where the row is: `apex audit verify` receives one
-- column per event instead of fifteen and hashes it. It must match HistoryEvent.hashInput in Swift
-- field for field (a test compares the two): each field as "<byte length>:<text>", an absent one
-- as "~"; ids in upper case, the time as microseconds since 1970.
CREATE FUNCTION history_hash_input(e history_events) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT convert_to(
        octet_length(upper(e.application_id::text)) || ':' || upper(e.application_id::text) ||
        octet_length(e.seq::text) || ':' || e.seq::text ||
        octet_length(((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text) || ':' || ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text ||
        coalesce(octet_length(upper(e.actor_id::text)) || ':' || upper(e.actor_id::text), '~') ||
        octet_length(e.actor_role) || ':' || e.actor_role ||
        octet_length(e.machine) || ':' || e.machine ||
        octet_length(upper(e.subject_id::text)) || ':' || upper(e.subject_id::text) ||
        octet_length(e.action) || ':' || e.action ||
        coalesce(octet_length(e.from_state) || ':' || e.from_state, '~') ||
        octet_length(e.to_state) || ':' || e.to_state ||
        octet_length(e.reason) || ':' || e.reason ||
        octet_length(e.payload) || ':' || e.payload ||
        octet_length(e.prev_hash) || ':' || e.prev_hash,
        'UTF8')
$$;
GRANT EXECUTE ON FUNCTION history_hash_input(history_events) TO apex_service;
