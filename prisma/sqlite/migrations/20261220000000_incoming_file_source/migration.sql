-- The File's source when it is not the transfer's source (a v2 SneakerNet ingest's clone/stage
-- names the data's original source; the transfer's source is then the Librarian to tell).
ALTER TABLE "incoming_transfers" ADD COLUMN "file_source" TEXT;
