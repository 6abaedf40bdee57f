-- AlterTable
ALTER TABLE "stores" ADD COLUMN "health_checked_at" DATETIME;
ALTER TABLE "stores" ADD COLUMN "health_problem" TEXT;
