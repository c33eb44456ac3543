"""Tickets: the support request domain (states, events, escalation, SLA)."""
