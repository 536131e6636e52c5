import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { NodeServices } from "@effect/platform-node"
import { PgClient, PgMigrator } from "@effect/sql-pg"
import { Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Broadcast, broadcastInProcess, broadcastPostgres } from "./broadcast.ts"
import { migrations } from "./migrations.ts"

/** The connection every SQL layer of the tutor uses, migrated, plus the fan-out that fits it. */
export type Database = PgClient.PgClient | SqlClient.SqlClient | Broadcast
export type DatabaseError = SqlError.SqlError | PgMigrator.MigrationError | EmbeddedDatabaseError

export class EmbeddedDatabaseError extends Schema.TaggedError<EmbeddedDatabaseError>()("EmbeddedDatabaseError", {
  dataDir: Schema.String,
  message: Schema.String
}) {}

/** Channel of the escalation / teacher fan-out between instances. */
export const BROADCAST_CHANNEL = "tutor_broadcast"

/** Applies the migrations at start-up; PgMigrator wants file-system services for its optional schema dump. */
const migrated = <E>(client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, E>) =>
  PgMigrator.layer({ loader: migrations }).pipe(Layer.provide(NodeServices.layer), Layer.provideMerge(client))

export interface PostgresOptions {
  readonly url: Redacted.Redacted
  /** one of them is held by LISTEN */
  readonly maxConnections?: number
}

/** A real PostgreSQL server (`DATABASE_URL`): notifications go through LISTEN/NOTIFY. */
export const postgresDatabase = (options: PostgresOptions): Layer.Layer<Database, DatabaseError> =>
  broadcastPostgres(BROADCAST_CHANNEL).pipe(
    Layer.provideMerge(migrated(PgClient.layer({
      url: options.url,
      maxConnections: options.maxConnections ?? 10,
      connectTimeout: "5 seconds"
    })))
  )

/** `:memory:` keeps nothing; anything else is a directory (created if missing). */
export const IN_MEMORY = ":memory:"

/** Whether a process with this id is running (signal 0 tests without sending anything). */
const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal
    return error instanceof Error && "code" in error && error.code === "EPERM"
  }
}

/**
 * PGlite's files must be opened by one process at a time (two would corrupt them): a lock file
 * beside them holds the owner's pid. A lock left by a process that died is taken over.
 */
const lockDataDir = (directory: string, fail: (cause: unknown) => EmbeddedDatabaseError) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const lock = `${directory}.lock`
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            writeFileSync(lock, String(process.pid), { flag: "wx" })
            return lock
          } catch (error) {
            if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error
            const owner = Number(readFileSync(lock, "utf8").trim())
            if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
              throw new Error(
                `the embedded database is in use by process ${owner} (a running server?): stop it first, or set DATABASE_URL to share a PostgreSQL`
              )
            }
            rmSync(lock, { force: true })
          }
        }
        throw new Error(`could not lock ${directory}`)
      },
      catch: fail
    }),
    (lock) => Effect.sync(() => rmSync(lock, { force: true }))
  )

/**
 * Serves an in-process PGlite over the Postgres wire protocol on a unix socket in a fresh
 * private (0700) directory, so only this user can reach it, and no TCP port is taken.
 * Returns the socket's path; the server and the database close with the scope.
 */
const servePglite = (dataDir: string) =>
  Effect.gen(function*() {
    const fail = (cause: unknown) =>
      new EmbeddedDatabaseError({ dataDir, message: cause instanceof Error ? cause.message : String(cause) })
    if (dataDir !== IN_MEMORY) {
      mkdirSync(resolve(dataDir), { recursive: true })
      yield* lockDataDir(resolve(dataDir), fail)
    }
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => dataDir === IN_MEMORY ? PGlite.create() : PGlite.create(resolve(dataDir)),
        catch: fail
      }),
      (db) => Effect.promise(() => db.close())
    )
    const socketDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "tutor-pglite-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const path = join(socketDir, ".s.PGSQL.5432")
    // PGlite is one session: the socket server queues every protocol message from every connection
    // into it. The client pool below uses ONE connection so no two clients' extended-protocol
    // messages (Parse/Bind/Execute/Sync) can interleave; the server's own limit (default 1) is
    // raised only so a reconnect is not refused while the old socket is still being detached.
    const server = new PGLiteSocketServer({ db, path, maxConnections: 4 })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => server.start(), catch: fail }),
      () => Effect.promise(() => server.stop())
    )
    return path
  })

export interface EmbeddedOptions {
  /** directory of the database files, or `:memory:` */
  readonly dataDir: string
}

/** PGlite in this process, reached by the same `@effect/sql-pg` client; fan-out stays in process. */
export const embeddedDatabase = (options: EmbeddedOptions): Layer.Layer<Database, DatabaseError> =>
  broadcastInProcess.pipe(
    Layer.provideMerge(migrated(Layer.unwrap(Effect.map(servePglite(options.dataDir), (path) =>
      PgClient.layer({ path, username: "postgres", database: "postgres", maxConnections: 1 })
    ))))
  )

/** `DATABASE_URL`: a PostgreSQL shared by every instance (and Version A's agent); none → embedded. */
export const SharedDatabaseUrl = Config.option(Config.Redacted("DATABASE_URL"))

/** Where the embedded default keeps its files (`:memory:` for nothing on disk). */
export const TutorDataDir = Config.String("TUTOR_DATA_DIR").pipe(Config.withDefault("./data"))

/** The PGlite files live under `<TUTOR_DATA_DIR>/pglite`, leaving the data directory to share. */
export const embeddedDataDir = (tutorDataDir: string) =>
  tutorDataDir === IN_MEMORY ? IN_MEMORY : join(tutorDataDir, "pglite")

/**
 * `DATABASE_URL` set → that PostgreSQL; unset → embedded PGlite with its files under
 * `TUTOR_DATA_DIR` (default `./data`, `:memory:` for nothing on disk).
 */
export const databaseFromConfig: Layer.Layer<Database, DatabaseError | Config.ConfigError> = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* SharedDatabaseUrl
    if (Option.isSome(url)) {
      yield* Effect.logInfo("persistence: PostgreSQL from DATABASE_URL")
      return postgresDatabase({ url: url.value })
    }
    const dataDir = yield* TutorDataDir
    yield* Effect.logInfo(`persistence: embedded PGlite (${dataDir === IN_MEMORY ? "in memory" : embeddedDataDir(dataDir)})`)
    return embeddedDatabase({ dataDir: embeddedDataDir(dataDir) })
  })
)
