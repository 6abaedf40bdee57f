-- AlterTable
ALTER TABLE "stores" ADD COLUMN     "health_checked_at" TIMESTAMPTZ(3),
ADD COLUMN     "health_problem" TEXT;
