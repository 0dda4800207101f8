CREATE TABLE `login_links` (
	`hash` text PRIMARY KEY NOT NULL,
	`attempt_id` text NOT NULL,
	`actor_id` text,
	`address` text NOT NULL,
	`code_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`attempt_id`) REFERENCES `attempts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `login_links_attempt_id` ON `login_links` (`attempt_id`);