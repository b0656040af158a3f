"""Socket.IO: authenticated sockets, per-company/per-session rooms, and the wa:events relay."""
