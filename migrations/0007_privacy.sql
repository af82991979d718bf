CREATE TABLE `deletion_requests` (
	`code` text PRIMARY KEY NOT NULL,
	`user_key` text NOT NULL,
	`received_at` integer NOT NULL,
	`completed_at` integer,
	`outcome` text NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deletion_requests_user_key_unique` ON `deletion_requests` (`user_key`);