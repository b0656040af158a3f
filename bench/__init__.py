"""Benchmarks of DESIGN §12 (``make bench``): each prints one JSON object."""
