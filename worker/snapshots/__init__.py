"""Portable profiles: encrypted, hashed snapshots of a session's WhatsApp storage, restored on
another host without a new QR."""
