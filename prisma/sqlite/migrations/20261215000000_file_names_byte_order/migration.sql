-- Nothing to change: SQLite compares TEXT with its BINARY collation (byte order) unless told
-- otherwise, which is what search/file's name_prefix range needs (see the PostgreSQL history's
-- migration of the same name). Kept so both histories have the same steps.
SELECT 1;
