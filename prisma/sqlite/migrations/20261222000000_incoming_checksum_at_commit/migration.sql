-- An upload may be staged without its checksum and declare it at commit (so the client hashes
-- while it copies into staging): the transfer's checksum is unknown until then.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_incoming_transfers" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'INITIATED',
    "uploader" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "file_source" TEXT,
    "created_by" TEXT NOT NULL,
    "upload_name" TEXT NOT NULL,
    "transfer_size" BIGINT NOT NULL,
    "transfer_checksum" TEXT,
    "store_id" INTEGER,
    "transfer_method" TEXT,
    "start_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" DATETIME,
    "staging_path" TEXT,
    "store_path" TEXT NOT NULL,
    "source_transfer_id" INTEGER,
    "file_create_time" DATETIME,
    "deletion_policy" TEXT NOT NULL DEFAULT 'DISALLOWED',
    "workflow_id" TEXT,
    "failure_reason" TEXT,
    "failure_status" INTEGER,
    "receiving_until" DATETIME,
    CONSTRAINT "incoming_transfers_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_incoming_transfers" ("created_by", "deletion_policy", "end_time", "failure_reason", "failure_status", "file_create_time", "file_source", "id", "receiving_until", "source", "source_transfer_id", "staging_path", "start_time", "status", "store_id", "store_path", "transfer_checksum", "transfer_method", "transfer_size", "upload_name", "uploader", "workflow_id") SELECT "created_by", "deletion_policy", "end_time", "failure_reason", "failure_status", "file_create_time", "file_source", "id", "receiving_until", "source", "source_transfer_id", "staging_path", "start_time", "status", "store_id", "store_path", "transfer_checksum", "transfer_method", "transfer_size", "upload_name", "uploader", "workflow_id" FROM "incoming_transfers";
DROP TABLE "incoming_transfers";
ALTER TABLE "new_incoming_transfers" RENAME TO "incoming_transfers";
CREATE UNIQUE INDEX "incoming_transfers_staging_path_key" ON "incoming_transfers"("staging_path");
CREATE INDEX "incoming_transfers_status_idx" ON "incoming_transfers"("status");
CREATE INDEX "incoming_transfers_store_path_status_idx" ON "incoming_transfers"("store_path", "status");
CREATE INDEX "incoming_transfers_transfer_checksum_status_idx" ON "incoming_transfers"("transfer_checksum", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
