CREATE TABLE "limit_counts" (
	"name" text NOT NULL,
	"key" text NOT NULL,
	"failures" bigint NOT NULL,
	"last_failure" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	CONSTRAINT "limit_counts_name_key_pk" PRIMARY KEY("name","key")
);
--> statement-breakpoint
CREATE INDEX "limit_counts_expires_at" ON "limit_counts" USING btree ("expires_at");