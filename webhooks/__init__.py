"""The webhook sender (``python -m webhooks``): delivers the event log to company webhooks."""
