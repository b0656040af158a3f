-- The module bridge: how a session's worker reaches WhatsApp Web, and the account's own lid.
--
-- bridge: 'module' (wa-js, WhatsApp's own JS modules) or 'page' (the page objects), written by the
-- worker when it picks a bridge or falls back to the page one; NULL before any worker ran it.
ALTER TABLE wa_sessions ADD COLUMN bridge text NULL;
-- The linked account's privacy id (<digits>@lid) beside its phone, when the bridge reports it.
ALTER TABLE wa_sessions ADD COLUMN lid text NULL;
