-- Nothing to change: SQLite compares TEXT with its BINARY collation (byte order) unless told
-- otherwise (see the PostgreSQL history's migration of the same name). Kept so both histories
-- have the same steps.
SELECT 1;
