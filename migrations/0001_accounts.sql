CREATE TABLE `accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ig_user_id` text NOT NULL,
	`app_scoped_id` text NOT NULL,
	`username` text NOT NULL,
	`name` text,
	`account_type` text,
	`profile_picture_url` text,
	`followers_count` integer,
	`follows_count` integer,
	`media_count` integer,
	`biography` text,
	`website` text,
	`token` text NOT NULL,
	`token_expires_at` integer NOT NULL,
	`token_refreshed_at` integer NOT NULL,
	`scopes` text NOT NULL,
	`status` text DEFAULT 'ok' NOT NULL,
	`sandbox` integer DEFAULT false NOT NULL,
	`webhook_subscribed` integer DEFAULT false NOT NULL,
	`last_sync_at` integer,
	`connected_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_ig_user_id_unique` ON `accounts` (`ig_user_id`);