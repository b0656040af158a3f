-- The dashboard as a daily inbox: indexed search, the "assigned to me" filter, quick replies.
--
-- Search is a case-insensitive substring match (ILIKE '%text%') served by trigram GIN indexes;
-- the queries keep to one session of the caller's company (a trigram index leading with the
-- session id, through btree_gin, was measured slower: the session's posting list is read whole).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- What a chat search looks in: the name and every WhatsApp id of the chat, as one expression so
-- one index serves it. shared/db/repos/chats.py spells the same expression (a test checks that
-- its search uses this index).
CREATE INDEX wa_chats_search_trgm_idx ON wa_chats USING gin (
    (name || E'\n' || wa_chat_id || E'\n' || coalesce(phone_jid, '') || E'\n' || coalesce(lid, ''))
        gin_trgm_ops
);
CREATE INDEX wa_messages_body_trgm_idx ON wa_messages USING gin (body gin_trgm_ops);
CREATE INDEX wa_chats_assigned_idx ON wa_chats (session_id, assigned_manager_id)
    WHERE assigned_manager_id IS NOT NULL;

-- Canned answers of a company, inserted with "/<shortcut>" in the composer. Admins manage them.
CREATE TABLE quick_replies (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    shortcut   text NOT NULL CHECK (length(shortcut) BETWEEN 1 AND 32),  -- no spaces or '/': the API
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    lang       text NULL CHECK (lang IN ('en', 'ru')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX quick_replies_shortcut_key ON quick_replies (company_id, lower(shortcut));

-- The defaults every company starts with (English and Russian); admins edit or delete them.
CREATE FUNCTION seed_quick_replies(company uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO quick_replies (company_id, shortcut, body, lang) VALUES
        (company, 'hello', 'Hello! How can I help you?', 'en'),
        (company, 'wait', 'One moment please, I am checking.', 'en'),
        (company, 'thanks', 'Thank you for your message! We will get back to you shortly.', 'en'),
        (company, 'bye', 'Thank you for contacting us. Have a nice day!', 'en'),
        (company, 'привет', 'Здравствуйте! Чем могу помочь?', 'ru'),
        (company, 'минутку', 'Одну минуту, пожалуйста, я уточняю.', 'ru'),
        (company, 'спасибо', 'Спасибо за сообщение! Мы скоро ответим.', 'ru'),
        (company, 'пока', 'Спасибо, что обратились к нам. Хорошего дня!', 'ru')
    ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION seed_quick_replies_of_new_company() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_quick_replies(NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER companies_seed_quick_replies AFTER INSERT ON companies
    FOR EACH ROW EXECUTE FUNCTION seed_quick_replies_of_new_company();

SELECT seed_quick_replies(id) FROM companies;
