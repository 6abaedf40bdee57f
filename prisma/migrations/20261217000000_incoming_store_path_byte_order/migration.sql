-- Destinations of incoming transfers in byte order ("C"), like files.name
-- (20261215000000_file_names_byte_order): staging "a/b" looks for transfers arriving below it as
-- the range store_path >= 'a/b/' AND store_path < 'a/b0', which is a byte-exact prefix only in
-- byte order and keeps using the (store_path, status) index only if that index is in the same
-- order. (Prisma's schema language cannot express a collation: written by hand.)
ALTER TABLE "incoming_transfers" ALTER COLUMN "store_path" TYPE TEXT COLLATE "C";
