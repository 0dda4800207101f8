CREATE TABLE "actors" (
	"id" text PRIMARY KEY NOT NULL,
	"nickname" text,
	"public_uuid" text NOT NULL,
	"name" text,
	"password_hash" text,
	"password_changed_at" bigint,
	"onboarded_at" bigint,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"disabled_at" bigint,
	"revision" bigint DEFAULT 1 NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "actors_nickname_unique" UNIQUE("nickname"),
	CONSTRAINT "actors_public_uuid_unique" UNIQUE("public_uuid")
);
--> statement-breakpoint
CREATE TABLE "attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"device_id" text NOT NULL,
	"actor_id" text,
	"request" jsonb NOT NULL,
	"passed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"completed_at" bigint
);
--> statement-breakpoint
CREATE TABLE "authenticators" (
	"id" text PRIMARY KEY NOT NULL,
	"actor_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"secret" text,
	"last_step" bigint,
	"credential_id" text,
	"public_key" text,
	"counter" bigint DEFAULT 0 NOT NULL,
	"transports" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"last_used_at" bigint,
	CONSTRAINT "authenticators_credential_id_unique" UNIQUE("credential_id")
);
--> statement-breakpoint
CREATE TABLE "backup_codes" (
	"actor_id" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"used_at" bigint,
	CONSTRAINT "backup_codes_actor_id_hash_pk" PRIMARY KEY("actor_id","hash")
);
--> statement-breakpoint
CREATE TABLE "challenges" (
	"challenge" text PRIMARY KEY NOT NULL,
	"attempt_id" text NOT NULL,
	"purpose" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text,
	"redirect_uris" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"post_logout_redirect_uris" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"seeded" boolean DEFAULT false NOT NULL,
	"previous_secret_hash" text,
	"previous_secret_expires_at" bigint,
	"revision" bigint DEFAULT 1 NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"actor_id" text NOT NULL,
	"client_id" text NOT NULL,
	"scopes" jsonb NOT NULL,
	"granted_at" bigint NOT NULL,
	CONSTRAINT "consents_actor_id_client_id_pk" PRIMARY KEY("actor_id","client_id")
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"user_agent" text DEFAULT '' NOT NULL,
	"ip" text DEFAULT '' NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"blocked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "emails" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_id" text NOT NULL,
	"address" text NOT NULL,
	"verified_at" bigint,
	"created_at" bigint NOT NULL,
	CONSTRAINT "emails_address_unique" UNIQUE("address")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"type" text NOT NULL,
	"actor_id" text,
	"client_id" text,
	"by" text NOT NULL,
	"ip" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "factors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_id" text NOT NULL,
	"device_id" text NOT NULL,
	"kind" text NOT NULL,
	"client_id" text NOT NULL,
	"passed_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_links" (
	"hash" text PRIMARY KEY NOT NULL,
	"attempt_id" text NOT NULL,
	"actor_id" text,
	"address" text NOT NULL,
	"purpose" text DEFAULT 'sign-in' NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"hash" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"actor_id" text NOT NULL,
	"device_id" text NOT NULL,
	"auth_time" bigint NOT NULL,
	"amr" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"ended_at" bigint,
	CONSTRAINT "sessions_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"created_at" bigint NOT NULL,
	"retired_at" bigint,
	"publish_until" bigint
);
--> statement-breakpoint
CREATE TABLE "tokens" (
	"hash" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"kind" text NOT NULL,
	"client_id" text NOT NULL,
	"actor_id" text,
	"grant_id" text,
	"grant_type" text NOT NULL,
	"scope" text DEFAULT '' NOT NULL,
	"format" text DEFAULT 'opaque' NOT NULL,
	"sub" text,
	"sid" text,
	"data" jsonb,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"consumed_at" bigint,
	"revoked_at" bigint
);
--> statement-breakpoint
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attempts" ADD CONSTRAINT "attempts_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authenticators" ADD CONSTRAINT "authenticators_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_codes" ADD CONSTRAINT "backup_codes_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "challenges" ADD CONSTRAINT "challenges_attempt_id_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emails" ADD CONSTRAINT "emails_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "factors" ADD CONSTRAINT "factors_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "factors" ADD CONSTRAINT "factors_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "login_links" ADD CONSTRAINT "login_links_attempt_id_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "attempts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "login_links" ADD CONSTRAINT "login_links_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_client_id_clients_id_fk" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_actor_id_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attempts_expires_at" ON "attempts" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "authenticators_actor_id" ON "authenticators" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "challenges_attempt_id" ON "challenges" USING btree ("attempt_id");--> statement-breakpoint
CREATE INDEX "emails_actor_id" ON "emails" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "events_at" ON "events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "events_actor_id" ON "events" USING btree ("actor_id","id");--> statement-breakpoint
CREATE INDEX "events_client_id" ON "events" USING btree ("client_id","id");--> statement-breakpoint
CREATE INDEX "factors_actor_device" ON "factors" USING btree ("actor_id","device_id","kind");--> statement-breakpoint
CREATE INDEX "login_links_attempt_id" ON "login_links" USING btree ("attempt_id");--> statement-breakpoint
CREATE INDEX "sessions_actor_id" ON "sessions" USING btree ("actor_id");--> statement-breakpoint
CREATE INDEX "tokens_grant_id" ON "tokens" USING btree ("grant_id") WHERE grant_id is not null;--> statement-breakpoint
CREATE INDEX "tokens_sid" ON "tokens" USING btree ("sid") WHERE sid is not null;