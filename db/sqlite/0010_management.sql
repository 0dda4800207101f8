CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`actor_id` text,
	`client_id` text,
	`by` text NOT NULL,
	`ip` text,
	`detail` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_at` ON `events` (`at`);--> statement-breakpoint
CREATE INDEX `events_actor_id` ON `events` (`actor_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_client_id` ON `events` (`client_id`,`id`);--> statement-breakpoint
ALTER TABLE `actors` ADD `disabled_at` integer;--> statement-breakpoint
ALTER TABLE `actors` ADD `revision` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `previous_secret_hash` text;--> statement-breakpoint
ALTER TABLE `clients` ADD `previous_secret_expires_at` integer;--> statement-breakpoint
ALTER TABLE `clients` ADD `revision` integer DEFAULT 1 NOT NULL;