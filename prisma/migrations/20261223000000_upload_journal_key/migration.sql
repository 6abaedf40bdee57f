-- AlterTable
ALTER TABLE "incoming_transfers" ADD COLUMN     "journal_key" TEXT;
