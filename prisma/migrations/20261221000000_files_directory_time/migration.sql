-- Each file's directory (its name up to and including the last "/"), its creation time (newest
-- first) and name: a page of a large name prefix whose files are older than most of the catalog
-- is merged from the prefix's directories (SearchService.fromDirectories) instead of walking the
-- whole time index. The expression keeps the name's collation ("C", byte order). An index on an
-- expression, which Prisma's schema language cannot express: written by hand.
CREATE INDEX "files_directory_time_idx" ON "files"(regexp_replace("name", '[^/]*$', ''), "create_time" DESC, "name");
