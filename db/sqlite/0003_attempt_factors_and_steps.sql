-- Attempts now record each passed factor with its time ([{"factor":"password","at":...}]) and completed steps apart; attempts in flight are carried over (a password passed counts from the attempt's start).
ALTER TABLE `attempts` ADD `steps` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
UPDATE `attempts` SET
  `steps` = CASE WHEN EXISTS (SELECT 1 FROM json_each(`passed`) WHERE json_each.value = 'consent') THEN '["consent"]' ELSE '[]' END,
  `passed` = CASE WHEN EXISTS (SELECT 1 FROM json_each(`passed`) WHERE json_each.value = 'pwd') THEN json_array(json_object('factor', 'password', 'at', `created_at`)) ELSE '[]' END
WHERE json_type(`passed`, '$[0]') = 'text';--> statement-breakpoint
-- Remembered factors are named by kind from the factor table (src/signin/factors.ts), not by amr value.
UPDATE `factors` SET `kind` = 'password' WHERE `kind` = 'pwd';
