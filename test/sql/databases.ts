import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type Database,
  type DatabaseError,
  embeddedDatabase,
  IN_MEMORY,
  postgresDatabase
} from "../../src/layers/sql/database.ts"

/** The machine's PostgreSQL (trust auth); tests only ever create and drop their own databases in it. */
export const POSTGRES_SERVER = process.env["TUTOR_TEST_POSTGRES"] ?? "postgresql://postgres@127.0.0.1:5432"

export class TestDatabase extends Context.Service<TestDatabase, {
  readonly name: string
  /** the database under test: build it once per test block (PGlite `:memory:` starts empty each time) */
  readonly connect: Layer.Layer<Database, DatabaseError>
  /**
   * A database that outlives its connections, for restart tests: building this twice is
   * stopping the server and starting it again on the same data.
   */
  readonly persistent: Layer.Layer<Database, DatabaseError>
}>()("test/sql/TestDatabase") {}

/** `CREATE DATABASE tutor_test_<random>` on the real server, `DROP … WITH (FORCE)` when done. */
export const freshPostgresDatabase = Effect.gen(function*() {
  // built into the caller's scope: the DROP at the end of it still has its connection
  const admin = Context.get(
    yield* Layer.build(PgClient.layer({ url: Redacted.make(`${POSTGRES_SERVER}/postgres`), maxConnections: 1 })),
    PgClient.PgClient
  )
  const name = `tutor_test_${randomBytes(6).toString("hex")}`
  yield* Effect.acquireRelease(
    admin`CREATE DATABASE ${admin(name)}`,
    () => Effect.orDie(admin`DROP DATABASE IF EXISTS ${admin(name)} WITH (FORCE)`)
  )
  return { name, url: `${POSTGRES_SERVER}/${name}` }
})

export const postgresTarget: Layer.Layer<TestDatabase, DatabaseError> = Layer.effect(
  TestDatabase,
  Effect.map(freshPostgresDatabase, ({ name, url }) => {
    const connect = postgresDatabase({ url: Redacted.make(url) })
    return TestDatabase.of({ name: `postgres (${name})`, connect, persistent: connect })
  })
)

export const pgliteTarget: Layer.Layer<TestDatabase> = Layer.effect(
  TestDatabase,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "tutor-pglite-test-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) =>
      TestDatabase.of({
        name: "pglite (:memory:)",
        connect: embeddedDatabase({ dataDir: IN_MEMORY }),
        persistent: embeddedDatabase({ dataDir: dir })
      })
  )
)

/** The same test bodies run against both. */
export const targets = [
  { name: "postgres", layer: postgresTarget },
  { name: "pglite", layer: pgliteTarget }
] as const
