import { defineConfig } from 'drizzle-kit';

// Used only by drizzle-kit (generate/check); the app itself runs migrations at start-up.
export default defineConfig({
  dialect: 'sqlite',
  schema: ['./src/db/schema.ts', './src/db/schema.engagement.ts'],
  out: './migrations',
});
