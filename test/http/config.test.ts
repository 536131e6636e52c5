import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ServerConfig, ServerConfigFromEnv } from "../../src/http/config.ts"

/** The server's settings as `npm start` reads them from this environment. */
const settingsFrom = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const settings = yield* ServerConfig
    return Redacted.value(settings.csrfSecret)
  }).pipe(
    Effect.provide(ServerConfigFromEnv),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
  )

describe("the server's key without CSRF_SECRET", () => {
  it.effect("the embedded default keeps one in its data directory, readable by this user only: sessions survive a restart", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "tutor-secret-"))
      const first = yield* settingsFrom({ TUTOR_DATA_DIR: dataDir })
      const again = yield* settingsFrom({ TUTOR_DATA_DIR: dataDir })
      expect(first).toHaveLength(64)
      expect(again).toBe(first)
      expect(statSync(join(dataDir, "server-secret")).mode & 0o777).toBe(0o600)
    }))

  it.effect("with nothing on disk, or a database shared by several instances, it is random per start", () =>
    Effect.gen(function*() {
      const a = yield* settingsFrom({ TUTOR_DATA_DIR: ":memory:" })
      const b = yield* settingsFrom({ TUTOR_DATA_DIR: ":memory:" })
      expect(a).not.toBe(b)
      const dataDir = mkdtempSync(join(tmpdir(), "tutor-secret-"))
      const shared = { TUTOR_DATA_DIR: dataDir, DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/postgres" }
      expect(yield* settingsFrom(shared)).not.toBe(yield* settingsFrom(shared))
    }))

  it.effect("a damaged kept key stops the start with a clear error instead of signing with it", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "tutor-secret-"))
      writeFileSync(join(dataDir, "server-secret"), "\n", { mode: 0o600 })
      const failed = yield* Effect.flip(settingsFrom({ TUTOR_DATA_DIR: dataDir }))
      expect(failed._tag).toBe("SecretUnavailable")
      expect(failed.message).toContain("remove the file")
    }))
})
