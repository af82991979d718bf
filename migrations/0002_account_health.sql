CREATE TABLE `follower_days` (
	`account_id` integer NOT NULL,
	`day` text NOT NULL,
	`followers` integer NOT NULL,
	PRIMARY KEY(`account_id`, `day`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `follower_days_day_idx` ON `follower_days` (`day`);--> statement-breakpoint
CREATE TABLE `profile_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`taken_at` integer NOT NULL,
	`followers` integer,
	`follows` integer,
	`media_count` integer,
	`username` text NOT NULL,
	`name` text,
	`biography` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `profile_snapshots_account_taken_idx` ON `profile_snapshots` (`account_id`,`taken_at`);--> statement-breakpoint
CREATE INDEX `profile_snapshots_taken_idx` ON `profile_snapshots` (`taken_at`);--> statement-breakpoint
ALTER TABLE `accounts` ADD `status_reason` text;