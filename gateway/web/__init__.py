"""The web dashboard: static single-page app, PWA manifest and service worker, vendor files."""

from gateway.web.routes import setup_dashboard

__all__ = ["setup_dashboard"]
