-- CreateTable
CREATE TABLE "sneakernet_manifests" (
    "checksum" TEXT NOT NULL PRIMARY KEY,
    "source" TEXT NOT NULL,
    "store_name" TEXT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "body" JSONB NOT NULL,
    "received_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
