-- Indexes for a catalog of millions of files: search/file's pages are ranges of
-- files(create_time DESC, name); counting clone candidates merges the ordered names of
-- instances(available, file_name) and remote_instances(librarian_id, file_name); the planner's
-- caps count the batches in flight from outgoing_transfers(status, batch_id).
-- DropIndex
DROP INDEX "files_create_time_idx";

-- DropIndex
DROP INDEX "remote_instances_librarian_id_idx";

-- CreateIndex
CREATE INDEX "files_create_time_name_idx" ON "files"("create_time" DESC, "name");

-- CreateIndex
CREATE INDEX "instances_available_file_name_idx" ON "instances"("available", "file_name");

-- CreateIndex
CREATE INDEX "remote_instances_librarian_id_file_name_idx" ON "remote_instances"("librarian_id", "file_name");

-- CreateIndex
CREATE INDEX "outgoing_transfers_status_batch_id_idx" ON "outgoing_transfers"("status", "batch_id");

-- (The PostgreSQL history also collates outgoing_transfers.batch_id "C" here; SQLite compares
-- TEXT in byte order already.)
