"""Data in and out: the database, its schema, the frames' format, the demo programme, reading and checking extracts, imports and the audit trail."""
