-- WhatsApp Web as it is in 2026 (the 2026-page issue).
--
-- One person is one chat: a chat keeps its WhatsApp id (wa_chat_id, the id it was first seen
-- under) and, when known, the phone-number id (<digits>@c.us) and the privacy id (<digits>@lid).
ALTER TABLE wa_chats ADD COLUMN phone_jid text NULL;
ALTER TABLE wa_chats ADD COLUMN lid text NULL;
UPDATE wa_chats SET phone_jid = wa_chat_id WHERE wa_chat_id LIKE '%@c.us';
UPDATE wa_chats SET lid = wa_chat_id WHERE wa_chat_id LIKE '%@lid';
CREATE UNIQUE INDEX wa_chats_phone_jid_key ON wa_chats (session_id, phone_jid)
    WHERE phone_jid IS NOT NULL;
CREATE UNIQUE INDEX wa_chats_lid_key ON wa_chats (session_id, lid) WHERE lid IS NOT NULL;

-- A message id is WhatsApp's bare message id (MsgKey.id): the page shows it bare since 2026, and
-- the legacy "<fromMe>_<chat>_<id>[_<participant>]" form names the same message.
UPDATE wa_messages
   SET wa_msg_id = substring(wa_msg_id FROM '^(?:true|false)_[^_]+@[^_]+_([^_]+)')
 WHERE wa_msg_id ~ '^(true|false)_[^_]+@[^_]+_[^_]+';

-- A send typed into the page whose row could not be confirmed in time: never re-sent
-- automatically, reconciled when its row appears.
ALTER TABLE wa_messages DROP CONSTRAINT wa_messages_status_check;
ALTER TABLE wa_messages ADD CONSTRAINT wa_messages_status_check
    CHECK (status IN ('pending', 'unconfirmed', 'sent', 'delivered', 'read', 'failed'));

-- What the worker could not interpret on the page, per kind: {"<kind>": {"count", "lastAt"}}.
ALTER TABLE wa_sessions ADD COLUMN page_drift jsonb NOT NULL DEFAULT '{}'::jsonb;
-- The pairing code on screen ("link with phone number"), like qr_payload for the QR code.
ALTER TABLE wa_sessions ADD COLUMN pairing_code text NULL;
ALTER TABLE wa_sessions ADD COLUMN pairing_code_expires_at timestamptz NULL;
ALTER TABLE wa_sessions ADD COLUMN pairing_phone text NULL;  -- the digits the code was asked for
