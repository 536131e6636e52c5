import { defineConfig } from "vitest/config"

/** Browser tests: the built web app on the real server, driven through Debian's Chromium. */
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: ["test/e2e/globalSetup.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks"
  }
})
