-- AlterTable
ALTER TABLE "incoming_transfers" ADD COLUMN     "failure_status" INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "incoming_transfers_staging_path_key" ON "incoming_transfers"("staging_path");
