"""Incidents on live use cases: reporting, the incident card and its buttons, rollback, who may act."""
