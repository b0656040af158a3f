-- The whole data model of DESIGN §4.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE companies (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    max_sessions integer NOT NULL DEFAULT 5 CHECK (max_sessions >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id    uuid NULL REFERENCES companies(id) ON DELETE CASCADE,
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'operator')),
    display_name  text NOT NULL DEFAULT '',
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- operators are platform staff (no company); admins and managers always belong to one
    CHECK ((role = 'operator') = (company_id IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_company_idx ON users (company_id);

CREATE TABLE wa_sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id    uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    desired_state text NOT NULL DEFAULT 'running' CHECK (desired_state IN ('running', 'stopped')),
    state         text NOT NULL DEFAULT 'idle' CHECK (state IN (
        'idle', 'initializing', 'qr', 'authenticated', 'ready',
        'disconnected', 'conflict', 'blocked', 'stopped')),
    state_reason  text NULL,
    qr_payload    text NULL,
    qr_updated_at timestamptz NULL,
    qr_expires_at timestamptz NULL,
    phone         text NULL,
    display_name  text NULL,
    worker_id     text NULL,
    last_ready_at timestamptz NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wa_sessions_company_idx ON wa_sessions (company_id, created_at);
CREATE INDEX wa_sessions_desired_idx ON wa_sessions (desired_state) WHERE desired_state = 'running';

CREATE TABLE wa_manager_access (
    session_id       uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    manager_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    can_read         boolean NOT NULL DEFAULT true,
    can_write        boolean NOT NULL DEFAULT false,
    can_manage_chats boolean NOT NULL DEFAULT false,
    granted_by       uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    granted_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, manager_id)
);
CREATE INDEX wa_manager_access_manager_idx ON wa_manager_access (manager_id);

CREATE TABLE wa_chats (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id           uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    wa_chat_id           text NOT NULL,
    name                 text NOT NULL DEFAULT '',
    is_group             boolean NOT NULL DEFAULT false,
    unread_count         integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    last_message_at      timestamptz NULL,
    last_message_preview text NULL,
    archived             boolean NOT NULL DEFAULT false,
    assigned_manager_id  uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (session_id, wa_chat_id)
);
CREATE INDEX wa_chats_activity_idx ON wa_chats (session_id, last_message_at DESC NULLS LAST, id);

CREATE TABLE wa_messages (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id      uuid NOT NULL REFERENCES wa_sessions(id) ON DELETE CASCADE,
    chat_id         uuid NOT NULL REFERENCES wa_chats(id) ON DELETE CASCADE,
    wa_msg_id       text NULL,
    client_msg_id   text NULL,
    direction       text NOT NULL CHECK (direction IN ('in', 'out')),
    sender          text NULL,
    body            text NOT NULL DEFAULT '',
    type            text NOT NULL DEFAULT 'text',
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
    error           text NULL,
    wa_timestamp    timestamptz NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_by_user_id uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (session_id, wa_msg_id),
    UNIQUE (session_id, client_msg_id)
);
CREATE INDEX wa_messages_chat_idx ON wa_messages (chat_id, created_at DESC, id DESC);
CREATE INDEX wa_messages_session_time_idx ON wa_messages (session_id, created_at);

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    company_id uuid NULL REFERENCES companies(id) ON DELETE CASCADE,
    user_id    uuid NULL REFERENCES users(id) ON DELETE SET NULL,
    action     text NOT NULL,
    target     text NULL,
    details    jsonb NOT NULL DEFAULT '{}'::jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_company_idx ON audit_log (company_id, at DESC);
