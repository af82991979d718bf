CREATE TABLE `comments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`ig_comment_id` text NOT NULL,
	`ig_media_id` text NOT NULL,
	`parent_id` text,
	`from_id` text NOT NULL,
	`own` integer NOT NULL,
	`username` text NOT NULL,
	`text` text NOT NULL,
	`hidden` integer DEFAULT false NOT NULL,
	`like_count` integer,
	`written_at` integer NOT NULL,
	`fetched_at` integer NOT NULL,
	`private_reply_at` integer,
	`done_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `comments_ig_comment_id_unique` ON `comments` (`ig_comment_id`);--> statement-breakpoint
CREATE INDEX `comments_account_written_idx` ON `comments` (`account_id`,`written_at`);--> statement-breakpoint
CREATE INDEX `comments_media_idx` ON `comments` (`ig_media_id`);--> statement-breakpoint
CREATE INDEX `comments_parent_idx` ON `comments` (`parent_id`);--> statement-breakpoint
CREATE INDEX `comments_fetched_idx` ON `comments` (`fetched_at`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`participant_id` text NOT NULL,
	`ig_conversation_id` text,
	`participant_username` text,
	`last_message_at` integer NOT NULL,
	`last_inbound_at` integer,
	`read_at` integer,
	`fetched_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_account_participant_idx` ON `conversations` (`account_id`,`participant_id`);--> statement-breakpoint
CREATE INDEX `conversations_fetched_idx` ON `conversations` (`fetched_at`);--> statement-breakpoint
CREATE TABLE `ig_media` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`ig_media_id` text NOT NULL,
	`media_type` text,
	`product_type` text,
	`caption` text,
	`permalink` text,
	`thumbnail_url` text,
	`posted_at` integer,
	`comments_count` integer,
	`comments_enabled` integer DEFAULT true NOT NULL,
	`fetched_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ig_media_account_media_idx` ON `ig_media` (`account_id`,`ig_media_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`conversation_id` integer NOT NULL,
	`ig_message_id` text NOT NULL,
	`direction` text NOT NULL,
	`text` text,
	`attachments` text DEFAULT '[]' NOT NULL,
	`sent_at` integer NOT NULL,
	`sent_by` integer,
	`human_agent` integer DEFAULT false NOT NULL,
	`fetched_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sent_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_ig_message_id_unique` ON `messages` (`ig_message_id`);--> statement-breakpoint
CREATE INDEX `messages_conversation_idx` ON `messages` (`conversation_id`,`sent_at`);--> statement-breakpoint
CREATE INDEX `messages_fetched_idx` ON `messages` (`fetched_at`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL,
	`ig_user_id` text NOT NULL,
	`field` text NOT NULL,
	`payload` text,
	`processed_at` integer,
	`outcome` text
);
--> statement-breakpoint
CREATE INDEX `webhook_events_received_idx` ON `webhook_events` (`received_at`);--> statement-breakpoint
CREATE INDEX `webhook_events_pending_idx` ON `webhook_events` (`processed_at`);