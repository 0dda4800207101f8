CREATE TABLE `challenges` (
	`challenge` text PRIMARY KEY NOT NULL,
	`attempt_id` text NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`attempt_id`) REFERENCES `attempts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `challenges_attempt_id` ON `challenges` (`attempt_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_authenticators` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`secret` text,
	`last_step` integer,
	`credential_id` text,
	`public_key` text,
	`counter` integer DEFAULT 0 NOT NULL,
	`transports` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`actor_id`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_authenticators`("id", "actor_id", "kind", "name", "secret", "last_step", "created_at", "last_used_at") SELECT "id", "actor_id", "kind", "name", "secret", "last_step", "created_at", "last_used_at" FROM `authenticators`;--> statement-breakpoint
DROP TABLE `authenticators`;--> statement-breakpoint
ALTER TABLE `__new_authenticators` RENAME TO `authenticators`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `authenticators_credential_id_unique` ON `authenticators` (`credential_id`);--> statement-breakpoint
CREATE INDEX `authenticators_actor_id` ON `authenticators` (`actor_id`);