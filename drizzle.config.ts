import { defineConfig } from 'drizzle-kit';

// Used only by drizzle-kit (generate/check); the app itself runs migrations at start-up.
export default defineConfig({
  dialect: 'sqlite',
  // Every schema file: schema.ts and one per feature area (schema.engagement.ts, …).
  schema: './src/db/schema*.ts',
  out: './migrations',
});
