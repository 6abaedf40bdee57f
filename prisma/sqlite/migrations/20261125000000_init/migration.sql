-- CreateTable
CREATE TABLE "files" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "create_time" DATETIME NOT NULL,
    "catalog_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "size" BIGINT NOT NULL,
    "checksum" TEXT NOT NULL,
    "uploader" TEXT NOT NULL,
    "source" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "instances" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "path" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "deletion_policy" TEXT NOT NULL DEFAULT 'DISALLOWED',
    "created_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "available" BOOLEAN NOT NULL DEFAULT true,
    "calculated_checksum" TEXT,
    "calculated_size" BIGINT,
    "checksum_time" DATETIME,
    CONSTRAINT "instances_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files" ("name") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "instances_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "remote_instances" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "file_name" TEXT NOT NULL,
    "librarian_id" INTEGER NOT NULL,
    "store_id" INTEGER NOT NULL,
    "copy_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sender" TEXT NOT NULL,
    CONSTRAINT "remote_instances_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files" ("name") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "remote_instances_librarian_id_fkey" FOREIGN KEY ("librarian_id") REFERENCES "librarians" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "stores" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "store_type" TEXT NOT NULL DEFAULT 'local',
    "ingestable" BOOLEAN NOT NULL DEFAULT true,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "store_data" JSONB NOT NULL,
    "transfer_methods" JSONB NOT NULL,
    "updated_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "librarians" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "authenticator" TEXT NOT NULL,
    "transfers_enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" DATETIME,
    "last_heard" DATETIME
);

-- CreateTable
CREATE TABLE "users" (
    "username" TEXT NOT NULL PRIMARY KEY,
    "auth_token" TEXT NOT NULL,
    "auth_level" TEXT NOT NULL,
    "created_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "incoming_transfers" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'INITIATED',
    "uploader" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "upload_name" TEXT NOT NULL,
    "transfer_size" BIGINT NOT NULL,
    "transfer_checksum" TEXT NOT NULL,
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
    CONSTRAINT "incoming_transfers_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "outgoing_transfers" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'INITIATED',
    "destination" TEXT NOT NULL,
    "transfer_size" BIGINT NOT NULL,
    "transfer_checksum" TEXT NOT NULL,
    "start_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" DATETIME,
    "file_name" TEXT NOT NULL,
    "instance_id" INTEGER,
    "remote_transfer_id" INTEGER,
    "transfer_method" TEXT,
    "batch_id" TEXT,
    "source_path" TEXT,
    "dest_path" TEXT,
    "failure_reason" TEXT,
    CONSTRAINT "outgoing_transfers_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files" ("name") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "outgoing_transfers_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "clone_transfers" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL DEFAULT 'INITIATED',
    "start_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" DATETIME,
    "source_store_id" INTEGER NOT NULL,
    "destination_store_id" INTEGER NOT NULL,
    "transfer_method" TEXT NOT NULL DEFAULT 'local',
    "source_instance_id" INTEGER NOT NULL,
    "destination_instance_id" INTEGER,
    "file_name" TEXT NOT NULL,
    "failure_reason" TEXT
);

-- CreateTable
CREATE TABLE "transfer_records" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "batch_id" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "transfer_method" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "source_endpoint_id" TEXT,
    "destination_endpoint_id" TEXT,
    "start_time" DATETIME NOT NULL,
    "end_time" DATETIME NOT NULL,
    "duration_seconds" REAL NOT NULL,
    "bytes_transferred" BIGINT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "effective_bandwidth_bps" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "corrupt_files" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "file_name" TEXT NOT NULL,
    "file_source" TEXT NOT NULL,
    "instance_id" INTEGER NOT NULL,
    "instance_path" TEXT NOT NULL,
    "corrupt_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "size" BIGINT NOT NULL,
    "checksum" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "replacement_requested" BOOLEAN NOT NULL DEFAULT false,
    "incoming_transfer_id" INTEGER
);

-- CreateIndex
CREATE INDEX "files_create_time_idx" ON "files"("create_time");

-- CreateIndex
CREATE INDEX "files_uploader_idx" ON "files"("uploader");

-- CreateIndex
CREATE INDEX "files_source_idx" ON "files"("source");

-- CreateIndex
CREATE INDEX "instances_store_id_created_time_idx" ON "instances"("store_id", "created_time");

-- CreateIndex
CREATE UNIQUE INDEX "instances_file_name_store_id_key" ON "instances"("file_name", "store_id");

-- CreateIndex
CREATE UNIQUE INDEX "instances_store_id_path_key" ON "instances"("store_id", "path");

-- CreateIndex
CREATE INDEX "remote_instances_librarian_id_idx" ON "remote_instances"("librarian_id");

-- CreateIndex
CREATE UNIQUE INDEX "remote_instances_file_name_librarian_id_store_id_key" ON "remote_instances"("file_name", "librarian_id", "store_id");

-- CreateIndex
CREATE UNIQUE INDEX "stores_name_key" ON "stores"("name");

-- CreateIndex
CREATE UNIQUE INDEX "librarians_name_key" ON "librarians"("name");

-- CreateIndex
CREATE INDEX "incoming_transfers_status_idx" ON "incoming_transfers"("status");

-- CreateIndex
CREATE INDEX "incoming_transfers_store_path_status_idx" ON "incoming_transfers"("store_path", "status");

-- CreateIndex
CREATE INDEX "incoming_transfers_transfer_checksum_status_idx" ON "incoming_transfers"("transfer_checksum", "status");

-- CreateIndex
CREATE INDEX "outgoing_transfers_destination_status_idx" ON "outgoing_transfers"("destination", "status");

-- CreateIndex
CREATE INDEX "outgoing_transfers_file_name_destination_idx" ON "outgoing_transfers"("file_name", "destination");

-- CreateIndex
CREATE INDEX "outgoing_transfers_batch_id_idx" ON "outgoing_transfers"("batch_id");

-- CreateIndex
CREATE INDEX "clone_transfers_destination_store_id_status_idx" ON "clone_transfers"("destination_store_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "transfer_records_batch_id_key" ON "transfer_records"("batch_id");

-- CreateIndex
CREATE UNIQUE INDEX "transfer_records_task_id_key" ON "transfer_records"("task_id");

-- CreateIndex
CREATE UNIQUE INDEX "corrupt_files_instance_id_key" ON "corrupt_files"("instance_id");
