import { Config, Effect, Layer } from "effect"
import type { Escalation } from "../../services/Escalation.ts"
import type { JobStore } from "../../services/JobStore.ts"
import type { Sessions } from "../../services/Sessions.ts"
import type { Teachers } from "../../services/Teachers.ts"
import type { AuditLog, SessionVersion, Store } from "../../services/Store.ts"
import { type AuditLogOptions, auditLog } from "./auditLog.ts"
import { type Database, databaseFromConfig, type DatabaseError } from "./database.ts"
import { escalationSql } from "./escalation.ts"
import { type JobStoreSqlOptions, jobStoreSql } from "./jobStore.ts"
import { sessionsSql } from "./sessions.ts"
import { storeSql } from "./store.ts"
import { teachersSql } from "./teachers.ts"

/** The session record and escalations: what every front door keeps. */
export type Records = Store | AuditLog | Escalation | Sessions
export type Persistence = Records | JobStore | Teachers

export interface RecordsOptions {
  /** the front door whose sessions and escalations these are */
  readonly version: SessionVersion
  readonly auditLog?: Partial<AuditLogOptions>
}

export interface PersistenceOptions extends RecordsOptions {
  /** names this instance for job recovery after a restart (see `jobStoreSql`) */
  readonly instanceId: string
  readonly jobs?: Partial<Omit<JobStoreSqlOptions, "instanceId">>
}

const records = (options: RecordsOptions): Layer.Layer<Records, never, Database> =>
  Layer.mergeAll(escalationSql({ version: options.version }), sessionsSql({ version: options.version })).pipe(
    Layer.provideMerge(auditLog(options.auditLog)),
    Layer.provideMerge(storeSql)
  )

/**
 * Records without jobs, for a process that runs none (Version A's agent): a job store would
 * mark the unfinished jobs of its instance id as interrupted when it starts, i.e. a server's.
 */
export const sqlRecords = <E>(database: Layer.Layer<Database, E>, options: RecordsOptions): Layer.Layer<Records, E> =>
  records(options).pipe(Layer.provide(database))

/** Every persistent service of the tutor over one database (`Store` and `AuditLog` are exposed too). */
export const sqlPersistence = <E>(
  database: Layer.Layer<Database, E>,
  options: PersistenceOptions
): Layer.Layer<Persistence, E> =>
  Layer.mergeAll(jobStoreSql({ ...options.jobs, instanceId: options.instanceId }), records(options), teachersSql).pipe(
    Layer.provide(database)
  )

/**
 * `DATABASE_URL` → PostgreSQL, else embedded PGlite under `TUTOR_DATA_DIR` (default `./data`);
 * `TUTOR_INSTANCE_ID` (default `default`) names this instance for job recovery.
 */
export const sqlPersistenceFromConfig = (
  version: SessionVersion
): Layer.Layer<Persistence, DatabaseError | Config.ConfigError> =>
  Layer.unwrap(Effect.map(
    Config.String("TUTOR_INSTANCE_ID").pipe(Config.withDefault("default")),
    (instanceId) => sqlPersistence(databaseFromConfig, { instanceId, version })
  ))
