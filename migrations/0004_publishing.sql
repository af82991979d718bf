CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`account_id` integer,
	`post_id` integer,
	`read_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`post_id`) REFERENCES `posts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notifications_read_idx` ON `notifications` (`read_at`,`at`);--> statement-breakpoint
ALTER TABLE `post_media` ADD `child_container_id` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `lease_until` integer;--> statement-breakpoint
ALTER TABLE `posts` ADD `next_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `posts` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `posts` ADD `container_id` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `container_created_at` integer;--> statement-breakpoint
ALTER TABLE `posts` ADD `publish_started_at` integer;--> statement-breakpoint
ALTER TABLE `posts` ADD `ig_media_id` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `permalink` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `published_at` integer;--> statement-breakpoint
ALTER TABLE `posts` ADD `reason_key` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `reason_params` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `held_reason` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `first_comment_state` text;--> statement-breakpoint
ALTER TABLE `posts` ADD `first_comment_id` text;--> statement-breakpoint
CREATE INDEX `posts_state_next_attempt_idx` ON `posts` (`state`,`next_attempt_at`);