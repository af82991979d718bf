CREATE TABLE `audience` (
	`account_id` integer NOT NULL,
	`taken_on` text NOT NULL,
	`breakdown` text NOT NULL,
	`key` text NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`account_id`, `breakdown`, `key`, `taken_on`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audience_taken_idx` ON `audience` (`account_id`,`taken_on`);--> statement-breakpoint
CREATE TABLE `insight_days` (
	`account_id` integer NOT NULL,
	`day` text NOT NULL,
	`metric` text NOT NULL,
	`value` integer NOT NULL,
	`fetched_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `metric`, `day`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `insight_days_account_day_idx` ON `insight_days` (`account_id`,`day`);--> statement-breakpoint
CREATE TABLE `media_insights` (
	`account_id` integer NOT NULL,
	`ig_media_id` text NOT NULL,
	`media_type` text NOT NULL,
	`product_type` text NOT NULL,
	`caption` text,
	`permalink` text,
	`thumbnail_url` text,
	`posted_at` integer NOT NULL,
	`views` integer,
	`reach` integer,
	`likes` integer,
	`comments` integer,
	`saved` integer,
	`shares` integer,
	`total_interactions` integer,
	`avg_watch_ms` integer,
	`skip_rate` real,
	`fetched_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `ig_media_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `media_insights_posted_idx` ON `media_insights` (`account_id`,`posted_at`);