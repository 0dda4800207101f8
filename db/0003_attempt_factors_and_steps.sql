-- Attempts now record each passed factor with its time ([{"factor":"password","at":...}]) and completed steps apart; attempts in flight (short-lived) are dropped and start again.
DELETE FROM `attempts`;--> statement-breakpoint
ALTER TABLE `attempts` ADD `steps` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
-- Remembered factors are named by kind from the factor table (src/signin/factors.ts), not by amr value.
UPDATE `factors` SET `kind` = 'password' WHERE `kind` = 'pwd';
