-- Whether we send clones to the peer (false: we only receive from it, and it has no sending Schedule).
ALTER TABLE "librarians" ADD COLUMN "sending" BOOLEAN NOT NULL DEFAULT true;
