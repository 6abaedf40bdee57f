-- CreateTable
CREATE TABLE "sneakernet_manifests" (
    "checksum" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "store_name" TEXT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "body" JSONB NOT NULL,
    "received_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sneakernet_manifests_pkey" PRIMARY KEY ("checksum")
);
