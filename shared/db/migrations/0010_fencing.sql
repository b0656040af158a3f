-- Fenced leases (issue 16): every lease grant bumps the session's fencing token, and Postgres
-- refuses a worker's write that carries an older one.
--
-- A worker's connections for the session it owns carry the token of its grant in the setting
-- ``app.fence`` ('<session id>:<token>'). The trigger below runs on every table with a
-- ``session_id`` (and on wa_sessions itself): when the setting is present and its token is below
-- the session's ``fence``, or names another session, the write fails with SQLSTATE WAF01. Other
-- writers (the gateway, the webhook sender) set nothing and are never fenced. The check locks the
-- session row FOR SHARE, so a grant (an UPDATE of that row) waits for a write in flight to commit:
-- a write is either before the grant or refused, never after it.
ALTER TABLE wa_sessions ADD COLUMN fence bigint NOT NULL DEFAULT 0;
CREATE SEQUENCE wa_fence_seq;

CREATE FUNCTION wa_fence_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim   text := current_setting('app.fence', true);
    sid     uuid;
    token   bigint;
    current bigint;
BEGIN
    IF claim IS NULL OR claim = '' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    sid := split_part(claim, ':', 1)::uuid;
    token := split_part(claim, ':', 2)::bigint;
    IF TG_TABLE_NAME = 'wa_sessions' THEN
        IF OLD.id <> sid THEN
            current := NULL;
        ELSE
            current := OLD.fence;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.fence <> OLD.fence THEN
            RAISE EXCEPTION 'a fenced connection cannot grant a lease' USING ERRCODE = 'WAF01';
        END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN
            IF OLD.session_id <> sid THEN current := NULL; ELSE
            SELECT fence INTO current FROM wa_sessions WHERE id = sid FOR SHARE; END IF;
        ELSE
            IF NEW.session_id <> sid THEN current := NULL; ELSE
            SELECT fence INTO current FROM wa_sessions WHERE id = sid FOR SHARE; END IF;
        END IF;
        IF current IS NULL AND NOT EXISTS (SELECT 1 FROM wa_sessions WHERE id = sid) THEN
            RETURN COALESCE(NEW, OLD);  -- the session was deleted: its FK refuses what must be
        END IF;
    END IF;
    IF current IS NULL OR token < current THEN
        RAISE EXCEPTION 'stale fencing token % for session % (current %)', token, sid, current
            USING ERRCODE = 'WAF01';
    END IF;
    RETURN COALESCE(NEW, OLD);
END
$$;

-- every table that holds a session's rows, now and as created before this migration
DO $$
DECLARE t text;
BEGIN
    FOR t IN
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND c.column_name = 'session_id'
          AND tb.table_type = 'BASE TABLE'
        UNION SELECT 'wa_sessions'
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %I BEFORE INSERT OR UPDATE OR DELETE ON %I'
            ' FOR EACH ROW EXECUTE FUNCTION wa_fence_check()', t || '_fence', t);
    END LOOP;
END
$$;

-- refused writes, one row each: counted in /metrics; the worker that made it dropped the session
CREATE TABLE wa_fence_refusals (
    id         bigserial PRIMARY KEY,
    session_id uuid NOT NULL,  -- no foreign key: kept when the session goes
    worker_id  text NOT NULL,
    token      bigint NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
