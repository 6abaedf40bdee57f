-- One unfinished outgoing transfer per file and destination, so a file can never be in two
-- batches to the same peer at once, even if two planners overlap. (Partial index: written by
-- hand, Prisma's schema language cannot express it.)
CREATE UNIQUE INDEX "outgoing_transfers_active_file_destination" ON "outgoing_transfers"("file_name", "destination") WHERE "status" IN ('INITIATED', 'ONGOING', 'STAGED');
