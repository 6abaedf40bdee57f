-- AlterTable
ALTER TABLE "incoming_transfers" ADD COLUMN     "receiving_until" TIMESTAMPTZ(3);
