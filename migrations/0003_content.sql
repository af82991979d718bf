CREATE TABLE `hashtag_sets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`tags` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `post_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`post_id` integer NOT NULL,
	`at` integer NOT NULL,
	`step` text NOT NULL,
	`detail` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `post_events_post_idx` ON `post_events` (`post_id`,`at`);--> statement-breakpoint
CREATE TABLE `post_media` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`post_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`role` text DEFAULT 'item' NOT NULL,
	`position` integer NOT NULL,
	`kind` text NOT NULL,
	`status` text DEFAULT 'processing' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`error_key` text,
	`error_params` text,
	`source_file` text NOT NULL,
	`source_mime` text NOT NULL,
	`source_bytes` integer NOT NULL,
	`width` integer,
	`height` integer,
	`duration_ms` integer,
	`fit_mode` text DEFAULT 'crop' NOT NULL,
	`focus_x` real DEFAULT 0.5 NOT NULL,
	`focus_y` real DEFAULT 0.5 NOT NULL,
	`background` text DEFAULT 'blur' NOT NULL,
	`output_recipe` text,
	`output_file` text,
	`output_width` integer,
	`output_height` integer,
	`output_bytes` integer,
	`poster_file` text,
	`notes` text DEFAULT '[]' NOT NULL,
	`alt_text` text DEFAULT '' NOT NULL,
	`public_token` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `post_media_public_token_unique` ON `post_media` (`public_token`);--> statement-breakpoint
CREATE INDEX `post_media_post_idx` ON `post_media` (`post_id`,`role`,`position`);--> statement-breakpoint
CREATE INDEX `post_media_status_idx` ON `post_media` (`status`);--> statement-breakpoint
CREATE TABLE `posts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`type` text NOT NULL,
	`state` text DEFAULT 'draft' NOT NULL,
	`caption` text DEFAULT '' NOT NULL,
	`first_comment` text DEFAULT '' NOT NULL,
	`collaborators` text DEFAULT '[]' NOT NULL,
	`share_to_feed` integer DEFAULT true NOT NULL,
	`thumb_offset_ms` integer DEFAULT 0 NOT NULL,
	`scheduled_at` integer,
	`time_zone` text NOT NULL,
	`created_by` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `posts_state_scheduled_idx` ON `posts` (`state`,`scheduled_at`);--> statement-breakpoint
CREATE INDEX `posts_account_scheduled_idx` ON `posts` (`account_id`,`scheduled_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `time_zone` text;