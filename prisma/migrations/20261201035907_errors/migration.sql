-- CreateTable
CREATE TABLE "errors" (
    "id" SERIAL NOT NULL,
    "severity" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "raised_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cleared_time" TIMESTAMPTZ(3),
    "cleared" BOOLEAN NOT NULL DEFAULT false,
    "caller" TEXT,

    CONSTRAINT "errors_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "errors_cleared_raised_time_idx" ON "errors"("cleared", "raised_time");
