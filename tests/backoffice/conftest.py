"""The backoffice tests share the fixtures of tests/conftest.py (server, till, customers)."""
