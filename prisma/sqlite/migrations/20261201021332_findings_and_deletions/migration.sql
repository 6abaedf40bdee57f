-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "corrupt_files";
PRAGMA foreign_keys=on;

-- CreateTable
CREATE TABLE "findings" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "file_name" TEXT,
    "instance_id" INTEGER,
    "detail" TEXT NOT NULL,
    "first_seen" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "count" INTEGER NOT NULL DEFAULT 1,
    "resolved_at" DATETIME,
    "resolution" TEXT,
    "repair" TEXT,
    CONSTRAINT "findings_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "stores" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "deletions" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "file_name" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "instance_id" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "deleted_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
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
