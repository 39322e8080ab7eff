-- The IG lead finds every event of one request or bulk job (a cohort export writes one per
-- person released, all under the job's id) without reading the whole log.
CREATE INDEX audit_event_request ON audit_event (request_id);
