-- File names in byte order ("C": for UTF-8, code point order), whatever the database's default
-- collation: search/file's name_prefix is the range name >= prefix AND name < its successor,
-- which is a byte-exact prefix only in byte order and can use the primary key only if that
-- index is in the same order. The columns joined with files.name take the same collation, so
-- that the joins compare in one order and keep their indexes. (Prisma's schema language cannot
-- express a collation: written by hand.)
ALTER TABLE "files" ALTER COLUMN "name" TYPE TEXT COLLATE "C";
ALTER TABLE "instances" ALTER COLUMN "file_name" TYPE TEXT COLLATE "C";
ALTER TABLE "remote_instances" ALTER COLUMN "file_name" TYPE TEXT COLLATE "C";
ALTER TABLE "outgoing_transfers" ALTER COLUMN "file_name" TYPE TEXT COLLATE "C";
