-- The QR's PNG, rendered once per rotation by the worker (off its event loop) and kept with
-- the QR: the gateway serves REST and sockets from here instead of rendering it again.
ALTER TABLE wa_sessions ADD COLUMN qr_png bytea NULL;
