-- CreateEnum
CREATE TYPE "FindingKind" AS ENUM ('LOST', 'CORRUPT', 'DARK');

-- DropTable
DROP TABLE "corrupt_files";

-- CreateTable
CREATE TABLE "findings" (
    "id" SERIAL NOT NULL,
    "kind" "FindingKind" NOT NULL,
    "store_id" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "file_name" TEXT,
    "instance_id" INTEGER,
    "detail" TEXT NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "count" INTEGER NOT NULL DEFAULT 1,
    "resolved_at" TIMESTAMPTZ(3),
    "resolution" TEXT,
    "repair" TEXT,

    CONSTRAINT "findings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deletions" (
    "id" SERIAL NOT NULL,
    "file_name" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "instance_id" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "deleted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deletions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "findings_resolved_at_kind_idx" ON "findings"("resolved_at", "kind");

-- CreateIndex
CREATE INDEX "findings_instance_id_idx" ON "findings"("instance_id");

-- CreateIndex
CREATE UNIQUE INDEX "findings_kind_store_id_path_key" ON "findings"("kind", "store_id", "path");

-- CreateIndex
CREATE INDEX "deletions_file_name_idx" ON "deletions"("file_name");

-- CreateIndex
CREATE INDEX "instances_store_id_available_checksum_time_idx" ON "instances"("store_id", "available", "checksum_time");

-- AddForeignKey
ALTER TABLE "findings" ADD CONSTRAINT "findings_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
