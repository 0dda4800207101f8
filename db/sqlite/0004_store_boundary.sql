PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_actors` (
	`id` text PRIMARY KEY NOT NULL,
	`nickname` text,
	`public_uuid` text NOT NULL,
	`name` text,
	`password_hash` text,
	`password_changed_at` integer,
	`scopes` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_actors`("id", "nickname", "public_uuid", "name", "password_hash", "password_changed_at", "scopes", "created_at", "updated_at") SELECT "id", "nickname", "public_uuid", "name", "password_hash", "password_changed_at", "scopes", "created_at", "updated_at" FROM `actors`;--> statement-breakpoint
DROP TABLE `actors`;--> statement-breakpoint
ALTER TABLE `__new_actors` RENAME TO `actors`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `actors_nickname_unique` ON `actors` (`nickname`);--> statement-breakpoint
CREATE UNIQUE INDEX `actors_public_uuid_unique` ON `actors` (`public_uuid`);--> statement-breakpoint
CREATE TABLE `__new_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text,
	`redirect_uris` text DEFAULT '[]' NOT NULL,
	`post_logout_redirect_uris` text DEFAULT '[]' NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`seeded` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_clients`("id", "name", "secret_hash", "redirect_uris", "post_logout_redirect_uris", "settings", "seeded", "created_at", "updated_at") SELECT "id", "name", "secret_hash", "redirect_uris", "post_logout_redirect_uris", "settings", "seeded", "created_at", "updated_at" FROM `clients`;--> statement-breakpoint
DROP TABLE `clients`;--> statement-breakpoint
ALTER TABLE `__new_clients` RENAME TO `clients`;--> statement-breakpoint
CREATE TABLE `__new_emails` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` text NOT NULL,
	`address` text NOT NULL,
	`verified_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`actor_id`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_emails`("id", "actor_id", "address", "verified_at", "created_at") SELECT "id", "actor_id", "address", "verified_at", "created_at" FROM `emails`;--> statement-breakpoint
DROP TABLE `emails`;--> statement-breakpoint
ALTER TABLE `__new_emails` RENAME TO `emails`;--> statement-breakpoint
CREATE UNIQUE INDEX `emails_address_unique` ON `emails` (`address`);--> statement-breakpoint
CREATE INDEX `emails_actor_id` ON `emails` (`actor_id`);--> statement-breakpoint
CREATE TABLE `__new_settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_settings`("key", "value", "updated_at") SELECT "key", "value", "updated_at" FROM `settings`;--> statement-breakpoint
DROP TABLE `settings`;--> statement-breakpoint
ALTER TABLE `__new_settings` RENAME TO `settings`;--> statement-breakpoint
ALTER TABLE `tokens` ADD `sub` text;--> statement-breakpoint
ALTER TABLE `tokens` ADD `sid` text;--> statement-breakpoint
CREATE INDEX `tokens_sid` ON `tokens` (`sid`) WHERE sid is not null;--> statement-breakpoint
-- Tokens issued before sub and sid were columns kept them in data: carry them over, so their access tokens, refresh tokens and internal cookies keep working.
UPDATE `tokens` SET `sub` = json_extract(`data`, '$.sub'), `sid` = json_extract(`data`, '$.sid') WHERE `data` IS NOT NULL AND `sub` IS NULL;
