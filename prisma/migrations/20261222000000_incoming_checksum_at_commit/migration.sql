-- An upload may be staged without its checksum and declare it at commit (so the client hashes
-- while it copies into staging): the transfer's checksum is unknown until then.
-- AlterTable
ALTER TABLE "incoming_transfers" ALTER COLUMN "transfer_checksum" DROP NOT NULL;
