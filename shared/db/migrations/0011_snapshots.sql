-- Portable profiles: snapshots of a session's WhatsApp storage (the origin's IndexedDB, Local
-- Storage, cookies), packed, compressed and encrypted by the worker holding the session.
--
-- One row per snapshot. generation grows per session; sha256 is of the compressed archive (before
-- encryption) and is checked after decryption; key_id names the key that sealed it. The sealed
-- bytes live in data when the store is Postgres (another store keeps only a reference in
-- location). A snapshot that fails to decrypt, hash or unpack is 'refused' with the reason; the
-- restoring worker then takes the previous good one.
CREATE TABLE wa_profile_snapshots (
    id             bigserial PRIMARY KEY,
    session_id     uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    generation     integer NOT NULL CHECK (generation > 0),
    size_bytes     bigint NOT NULL,   -- the files, unpacked
    stored_bytes   bigint NOT NULL,   -- compressed and sealed
    sha256         text NOT NULL,
    key_id         text NOT NULL,
    store          text NOT NULL DEFAULT 'postgres',
    location       text NULL,
    data           bytea NULL,
    status         text NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'refused')),
    refused_reason text NULL,
    refused_at     timestamptz NULL,
    worker_id      text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, generation)
);
CREATE INDEX wa_profile_snapshots_good_idx ON wa_profile_snapshots (session_id, generation DESC)
    WHERE status = 'good';

-- a snapshot is a worker's write for its session: fenced like the others (0010_fencing.sql)
CREATE TRIGGER wa_profile_snapshots_fence BEFORE INSERT OR UPDATE OR DELETE ON wa_profile_snapshots
    FOR EACH ROW EXECUTE FUNCTION wa_fence_check();
