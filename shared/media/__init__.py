"""Media of messages: kinds and their types (kinds), the store interface and its backends."""
