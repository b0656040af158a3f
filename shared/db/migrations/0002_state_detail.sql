-- A human-readable detail beside the reason code (e.g. which path is not writable, and the fix).
ALTER TABLE wa_sessions ADD COLUMN state_detail text NULL;
