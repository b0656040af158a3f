"""Code shared by the gateway and the workers: settings, names, events, database, QR rendering."""
