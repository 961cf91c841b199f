"""The demo: a backoffice with demo data and the kiosk window in one process (``counter-demo``).

It lives outside both apps because it is the one place that wires them together.
"""
