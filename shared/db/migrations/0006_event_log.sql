-- The event log, webhooks and their deliveries, API keys (the "nothing lost" issue).
--
-- A company's events get ids 1, 2, 3... from its row in event_counters, incremented in the
-- transaction of the change the event describes. The row stays locked until that transaction
-- ends, so a company's ids commit in id order and without gaps: a reader that has seen id N has
-- seen (or can read) every id below N; it never has to wait for a "hole" to fill.
CREATE TABLE event_counters (
    company_id     uuid PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
    last_id        bigint NOT NULL DEFAULT 0,
    pruned_through bigint NOT NULL DEFAULT 0  -- ids up to this one may have been pruned
);

CREATE TABLE event_log (
    company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    id         bigint NOT NULL,
    session_id uuid NOT NULL,  -- no foreign key: a deleted session's events stay until pruned
    type       text NOT NULL,
    payload    jsonb NOT NULL,  -- the wire event (shared/events.py) without its id
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (company_id, id)
);
-- pruning walks the oldest rows; rows are appended in time order, so a BRIN index is enough
CREATE INDEX event_log_at_brin ON event_log USING brin (at);

CREATE TABLE webhooks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description text NOT NULL DEFAULT '',
    event_types text[] NOT NULL DEFAULT '{}',  -- empty: every type
    session_ids uuid[] NULL,                   -- null: every session of the company
    secret      text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    cursor      bigint NOT NULL DEFAULT 0,     -- the company's last event id turned into deliveries
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_company_idx ON webhooks (company_id, created_at);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    company_id      uuid NOT NULL,
    event_id        bigint NOT NULL,
    session_id      uuid NOT NULL,
    event_type      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz NULL,
    response_code   integer NULL,
    latency_ms      integer NULL,
    error           text NULL,
    redelivery      boolean NOT NULL DEFAULT false,  -- asked for again (redeliver, replay)
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz NULL
);
-- a lane = one webhook x one session, delivered in order
CREATE INDEX webhook_deliveries_lane_idx ON webhook_deliveries (webhook_id, session_id, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_created_brin ON webhook_deliveries USING brin (created_at);

CREATE TABLE webhook_attempts (
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    at            timestamptz NOT NULL,
    response_code integer NULL,
    latency_ms    integer NOT NULL,
    error         text NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id   uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL,           -- the key's first characters, to recognise it by
    key_hash     bytea NOT NULL UNIQUE,   -- SHA-256 of the whole key; the key itself is not kept
    scopes       text[] NOT NULL
                 CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'send', 'manage']),
    session_ids  uuid[] NULL,             -- null: every session of the company
    created_by   uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NULL,
    revoked_at   timestamptz NULL
);
CREATE INDEX api_keys_company_idx ON api_keys (company_id, created_at);

-- the audit API pages by company and time, filtered by action
CREATE INDEX audit_log_action_idx ON audit_log (company_id, action, at DESC);
