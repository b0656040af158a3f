-- Media of messages (photos, video, audio, voice notes, documents, stickers), both directions.
--
-- The bytes live in the media store (a local directory or S3-compatible storage), addressed by
-- sha256 and kept once per company (dedup); a message points at them through its media row.
CREATE TABLE wa_media_blobs (
    company_id   uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size >= 0),
    mime         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, sha256)
);
CREATE INDEX wa_media_blobs_used_idx ON wa_media_blobs (last_used_at);

-- One row per media message. status: pending (WhatsApp has it, we have not downloaded it yet),
-- stored (sha256 names the blob), failed (downloads gave up for now: "media unavailable", a retry
-- may bring it), expired (removed by retention, or gone from WhatsApp's servers).
CREATE TABLE wa_message_media (
    message_id      uuid PRIMARY KEY REFERENCES wa_messages(id) ON DELETE CASCADE,
    company_id      uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    session_id      uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    kind            text NOT NULL
                    CHECK (kind IN ('image', 'video', 'audio', 'voice', 'document', 'sticker')),
    mime            text NOT NULL,
    size            bigint NULL CHECK (size IS NULL OR size >= 0),
    file_name       text NULL,
    duration_s      real NULL,
    width           integer NULL,
    height          integer NULL,
    thumbnail       bytea NULL CHECK (thumbnail IS NULL OR length(thumbnail) <= 32768),
    sha256          text NULL CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'stored', 'failed', 'expired')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NULL,
    last_error      text NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wa_message_media_retry_idx ON wa_message_media (session_id, next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX wa_message_media_blob_idx ON wa_message_media (company_id, sha256)
    WHERE sha256 IS NOT NULL;
