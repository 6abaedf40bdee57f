-- CreateTable
CREATE TABLE "errors" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "severity" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "raised_time" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cleared_time" DATETIME,
    "cleared" BOOLEAN NOT NULL DEFAULT false,
    "caller" TEXT
);

-- CreateIndex
CREATE INDEX "errors_cleared_raised_time_idx" ON "errors"("cleared", "raised_time");
