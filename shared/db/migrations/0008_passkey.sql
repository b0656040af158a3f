-- WhatsApp's passkey check while a device links, relayed to an admin's own browser.
--
-- One row per request the worker's page made (navigator.credentials.get): its options, the origin
-- the assertion must name, and a deadline. An admin answers it once ('answered', by whom, when);
-- the worker records what WhatsApp made of it. At most one request of a session is open.
CREATE TABLE wa_passkey_requests (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id              uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    options                 jsonb NOT NULL,  -- PublicKeyCredentialRequestOptionsJSON
    origin                  text NOT NULL,
    status                  text NOT NULL DEFAULT 'pending' CHECK (status IN (
        'pending',     -- waiting for an admin's browser
        'answered',    -- an admin's assertion is on its way to the page (single use)
        'confirming',  -- WhatsApp accepted it and shows a code to match on the phone
        'done',        -- linked
        'rejected',    -- WhatsApp refused the assertion
        'cancelled',   -- an admin cancelled the check
        'expired',     -- nobody answered (or confirmed) in time
        'failed')),    -- the page's request ended otherwise (reloaded, closed)
    expires_at              timestamptz NOT NULL,
    confirmation_code       text NULL,
    confirmation_expires_at timestamptz NULL,
    answered_by             uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    answered_at             timestamptz NULL,
    ended_reason            text NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX wa_passkey_requests_open_key ON wa_passkey_requests (session_id)
    WHERE status IN ('pending', 'answered', 'confirming');
CREATE INDEX wa_passkey_requests_session_idx ON wa_passkey_requests (session_id, created_at DESC);

ALTER TABLE wa_sessions DROP CONSTRAINT wa_sessions_state_check;
ALTER TABLE wa_sessions ADD CONSTRAINT wa_sessions_state_check CHECK (state IN (
    'idle', 'initializing', 'qr', 'authenticated', 'ready', 'disconnected', 'conflict',
    'blocked', 'stopped', 'passkey_required', 'passkey_confirmation'));
