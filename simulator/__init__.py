"""A stand-in for web.whatsapp.com plus a phone control API, for tests, benchmarks and the demo."""
