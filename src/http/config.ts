import { Config, Context, Duration, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { LIVEKIT_VARIABLES, type LiveKitSettings, readLiveKitSettings } from "../agent/config.ts"
import { IN_MEMORY, SharedDatabaseUrl, TutorDataDir } from "../layers/sql/database.ts"
import { deriveKey, deriveTeacherSecret } from "../services/signing.ts"

/** Origins of the reference's web app; `FRONTEND_URL` is added to them. */
export const REFERENCE_ORIGINS = ["http://localhost:3000", "http://localhost:3001"] as const

export interface ServerSettings {
  readonly host: string
  readonly port: number
  /** HMAC key of the CSRF tokens */
  readonly csrfSecret: Redacted.Redacted<string>
  /** HMAC key of the student session credentials (derived from the CSRF secret) */
  readonly studentSecret: Redacted.Redacted<string>
  /** HMAC key of the teacher grants; a different key, so a CSRF token is never a teacher token */
  readonly teacherSecret: Redacted.Redacted<string>
  readonly teacherGrantTtl: Duration.Duration
  /** where teachers connect, e.g. ws://localhost:8001 (reference `BACKEND_B_WS_URL`) */
  readonly publicWsUrl: string
  /** take the client address from `X-Forwarded-For` (only behind a proxy you trust) */
  readonly trustProxy: boolean
  readonly corsOrigins: ReadonlyArray<string>
  /** an escalation nobody has claimed by then gets the student the fallback message */
  readonly teacherFallbackAfter: Duration.Duration
  /** what the student is told then, by severity of the escalation */
  readonly fallbackMessages: FallbackMessages
  /** the LiveKit project of Version A whose student tokens `GET /livekit/token` mints; absent → 503 */
  readonly livekit?: LiveKitSettings
}

export interface FallbackMessages {
  readonly standard: string
  /** abuse, self-harm, sexual content, grooming, weapons: the child must be pointed at help now */
  readonly urgent: string
}

export const DEFAULT_FALLBACK_MESSAGES: FallbackMessages = {
  standard:
    "No teacher is free right this minute. Please tell a teacher or another adult you trust at school or at home, they can help you.",
  urgent:
    "No teacher has answered yet. Please tell a trusted adult near you right now. If you are in danger or thinking about hurting yourself, call your local emergency number (for example 911, 999 or 112)."
}

export const DEFAULT_TEACHER_FALLBACK = Duration.minutes(2)

export class ServerConfig extends Context.Service<ServerConfig, ServerSettings>()("http/ServerConfig") {}

/** A secret variable that is set but empty: the reference then HMAC'd with an empty key. */
export class EmptySecret extends Schema.TaggedError<EmptySecret>()("EmptySecret", { variable: Schema.String }) {
  override get message(): string {
    return `${this.variable} is set but empty: unset it (a random secret is used) or give it a value`
  }
}

const optionalSecret = Effect.fn("ServerConfig.secret")(function*(name: string) {
  // the config provider reads an empty variable as unset, so presence is checked on the environment itself
  const present = process.env[name] !== undefined
  const value = yield* Config.option(Config.String(name))
  if (present && Option.getOrElse(value, () => "").trim().length === 0) return yield* new EmptySecret({ variable: name })
  return Option.map(value, Redacted.make)
})

/**
 * Without `CSRF_SECRET`, the embedded default keeps a random key in its data directory (readable
 * by this user only), so students' and teachers' sessions survive a restart. With `DATABASE_URL`
 * (several instances) or no data directory, a random key per process, with a warning.
 */
const keptSecret = Effect.gen(function*() {
  const dataDir = yield* TutorDataDir
  const shared = Option.isSome(yield* SharedDatabaseUrl)
  if (shared || dataDir === IN_MEMORY) {
    yield* Effect.logWarning(
      "CSRF_SECRET is not set: using a random secret; sessions and tokens die on restart and differ between instances"
    )
    return Redacted.make(randomBytes(32).toString("hex"))
  }
  const path = join(dataDir, "server-secret")
  return yield* Effect.try({
    try: () => {
      mkdirSync(dataDir, { recursive: true })
      try {
        writeFileSync(path, randomBytes(32).toString("hex"), { flag: "wx", mode: 0o600 })
      } catch (error) {
        // it exists: the key of an earlier start, kept
        if (!(error instanceof Error && "code" in error && error.code === "EEXIST")) throw error
      }
      const kept = readFileSync(path, "utf8").trim()
      if (kept.length < 32) throw new Error("the kept key is empty or damaged: remove the file to make a new one")
      return Redacted.make(kept)
    },
    catch: (cause) => new SecretUnavailable({ path, message: cause instanceof Error ? cause.message : String(cause) })
  })
})

export class SecretUnavailable extends Schema.TaggedError<SecretUnavailable>()("SecretUnavailable", {
  path: Schema.String,
  message: Schema.String
}) {}

/** Reads the server settings from the environment (see docs/version-b-api.md). */
export const ServerConfigFromEnv = Layer.effect(
  ServerConfig,
  Effect.gen(function*() {
    const env = yield* Config.all({
      host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
      port: Config.Port("PORT").pipe(Config.withDefault(8001)),
      publicWsUrl: Config.option(Config.String("BACKEND_B_WS_URL")),
      trustProxy: Config.Boolean("TRUST_PROXY").pipe(Config.withDefault(false)),
      frontendUrl: Config.String("FRONTEND_URL").pipe(Config.withDefault("http://localhost:3000")),
      fallbackSeconds: Config.Number("TUTOR_TEACHER_FALLBACK_SECONDS").pipe(
        Config.withDefault(Duration.toSeconds(DEFAULT_TEACHER_FALLBACK))
      ),
      fallbackMessage: Config.String("TUTOR_FALLBACK_MESSAGE").pipe(Config.withDefault(DEFAULT_FALLBACK_MESSAGES.standard)),
      urgentFallbackMessage: Config.String("TUTOR_URGENT_FALLBACK_MESSAGE").pipe(
        Config.withDefault(DEFAULT_FALLBACK_MESSAGES.urgent)
      )
    })
    const configuredCsrf = yield* optionalSecret("CSRF_SECRET")
    const teacherSecret = yield* optionalSecret("TEACHER_TOKEN_SECRET")
    const csrfSecret = yield* Option.match(configuredCsrf, {
      onSome: Effect.succeed,
      onNone: () => keptSecret
    })
    const livekit = yield* Effect.result(readLiveKitSettings)
    // none of the variables is the normal keyless setup; some of them is a mistake worth a word
    if (Result.isFailure(livekit) && livekit.failure.missing.length < LIVEKIT_VARIABLES.length) {
      yield* Effect.logWarning(`${livekit.failure.message}; GET /livekit/token answers 503`)
    }
    return ServerConfig.of({
      host: env.host,
      port: env.port,
      csrfSecret,
      studentSecret: deriveKey(csrfSecret, "student-session"),
      teacherSecret: Option.getOrElse(teacherSecret, () => deriveTeacherSecret(csrfSecret)),
      teacherGrantTtl: Duration.minutes(2),
      publicWsUrl: Option.getOrElse(env.publicWsUrl, () => `ws://localhost:${env.port}`),
      trustProxy: env.trustProxy,
      teacherFallbackAfter: Duration.seconds(Math.max(0, env.fallbackSeconds)),
      fallbackMessages: { standard: env.fallbackMessage, urgent: env.urgentFallbackMessage },
      corsOrigins: [...new Set([...REFERENCE_ORIGINS, env.frontendUrl])],
      ...(Result.isSuccess(livekit) ? { livekit: livekit.success } : {})
    })
  })
)
