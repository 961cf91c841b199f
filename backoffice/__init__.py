"""The backoffice server: API, database, cashier console, phone form."""
