"""Business rules of the backoffice, independent of HTTP."""
