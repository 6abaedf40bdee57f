-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "TransferStatus" AS ENUM ('INITIATED', 'ONGOING', 'STAGED', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "AuthLevel" AS ENUM ('NONE', 'READONLY', 'CALLBACK', 'READAPPEND', 'READWRITE', 'ADMIN');

-- CreateEnum
CREATE TYPE "DeletionPolicy" AS ENUM ('DISALLOWED', 'ALLOWED');

-- CreateTable
CREATE TABLE "files" (
    "name" TEXT NOT NULL,
    "create_time" TIMESTAMPTZ(3) NOT NULL,
    "catalog_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "size" BIGINT NOT NULL,
    "checksum" TEXT NOT NULL,
    "uploader" TEXT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "files_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "instances" (
    "id" SERIAL NOT NULL,
    "path" TEXT NOT NULL,
    "file_name" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "deletion_policy" "DeletionPolicy" NOT NULL DEFAULT 'DISALLOWED',
    "created_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "available" BOOLEAN NOT NULL DEFAULT true,
    "calculated_checksum" TEXT,
    "calculated_size" BIGINT,
    "checksum_time" TIMESTAMPTZ(3),

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "remote_instances" (
    "id" SERIAL NOT NULL,
    "file_name" TEXT NOT NULL,
    "librarian_id" INTEGER NOT NULL,
    "store_id" INTEGER NOT NULL,
    "copy_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sender" TEXT NOT NULL,

    CONSTRAINT "remote_instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stores" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "store_type" TEXT NOT NULL DEFAULT 'local',
    "ingestable" BOOLEAN NOT NULL DEFAULT true,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "store_data" JSONB NOT NULL,
    "transfer_methods" JSONB NOT NULL,
    "updated_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stores_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "librarians" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "authenticator" TEXT NOT NULL,
    "transfers_enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(3),
    "last_heard" TIMESTAMPTZ(3),

    CONSTRAINT "librarians_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "username" TEXT NOT NULL,
    "auth_token" TEXT NOT NULL,
    "auth_level" "AuthLevel" NOT NULL,
    "created_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("username")
);

-- CreateTable
CREATE TABLE "incoming_transfers" (
    "id" SERIAL NOT NULL,
    "status" "TransferStatus" NOT NULL DEFAULT 'INITIATED',
    "uploader" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "upload_name" TEXT NOT NULL,
    "transfer_size" BIGINT NOT NULL,
    "transfer_checksum" TEXT NOT NULL,
    "store_id" INTEGER,
    "transfer_method" TEXT,
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "staging_path" TEXT,
    "store_path" TEXT NOT NULL,
    "source_transfer_id" INTEGER,
    "file_create_time" TIMESTAMPTZ(3),
    "deletion_policy" "DeletionPolicy" NOT NULL DEFAULT 'DISALLOWED',
    "workflow_id" TEXT,
    "failure_reason" TEXT,

    CONSTRAINT "incoming_transfers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outgoing_transfers" (
    "id" SERIAL NOT NULL,
    "status" "TransferStatus" NOT NULL DEFAULT 'INITIATED',
    "destination" TEXT NOT NULL,
    "transfer_size" BIGINT NOT NULL,
    "transfer_checksum" TEXT NOT NULL,
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "file_name" TEXT NOT NULL,
    "instance_id" INTEGER,
    "remote_transfer_id" INTEGER,
    "transfer_method" TEXT,
    "batch_id" TEXT,
    "source_path" TEXT,
    "dest_path" TEXT,
    "failure_reason" TEXT,

    CONSTRAINT "outgoing_transfers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "clone_transfers" (
    "id" SERIAL NOT NULL,
    "status" "TransferStatus" NOT NULL DEFAULT 'INITIATED',
    "start_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "end_time" TIMESTAMPTZ(3),
    "source_store_id" INTEGER NOT NULL,
    "destination_store_id" INTEGER NOT NULL,
    "transfer_method" TEXT NOT NULL DEFAULT 'local',
    "source_instance_id" INTEGER NOT NULL,
    "destination_instance_id" INTEGER,
    "file_name" TEXT NOT NULL,
    "failure_reason" TEXT,

    CONSTRAINT "clone_transfers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transfer_records" (
    "id" SERIAL NOT NULL,
    "batch_id" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "transfer_method" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "source_endpoint_id" TEXT,
    "destination_endpoint_id" TEXT,
    "start_time" TIMESTAMPTZ(3) NOT NULL,
    "end_time" TIMESTAMPTZ(3) NOT NULL,
    "duration_seconds" DOUBLE PRECISION NOT NULL,
    "bytes_transferred" BIGINT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "effective_bandwidth_bps" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "transfer_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "corrupt_files" (
    "id" SERIAL NOT NULL,
    "file_name" TEXT NOT NULL,
    "file_source" TEXT NOT NULL,
    "instance_id" INTEGER NOT NULL,
    "instance_path" TEXT NOT NULL,
    "corrupt_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "size" BIGINT NOT NULL,
    "checksum" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "replacement_requested" BOOLEAN NOT NULL DEFAULT false,
    "incoming_transfer_id" INTEGER,

    CONSTRAINT "corrupt_files_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files"("name") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "remote_instances" ADD CONSTRAINT "remote_instances_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files"("name") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "remote_instances" ADD CONSTRAINT "remote_instances_librarian_id_fkey" FOREIGN KEY ("librarian_id") REFERENCES "librarians"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incoming_transfers" ADD CONSTRAINT "incoming_transfers_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outgoing_transfers" ADD CONSTRAINT "outgoing_transfers_file_name_fkey" FOREIGN KEY ("file_name") REFERENCES "files"("name") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outgoing_transfers" ADD CONSTRAINT "outgoing_transfers_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE SET NULL ON UPDATE CASCADE;
