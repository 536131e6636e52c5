import { Config, Context, Duration, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { LIVEKIT_VARIABLES, type LiveKitSettings, readLiveKitSettings } from "../agent/config.ts"
import { deriveTeacherSecret } from "../services/signing.ts"

/** Origins of the reference's web app; `FRONTEND_URL` is added to them. */
export const REFERENCE_ORIGINS = ["http://localhost:3000", "http://localhost:3001"] as const

export interface ServerSettings {
  readonly host: string
  readonly port: number
  /** HMAC key of the CSRF tokens */
  readonly csrfSecret: Redacted.Redacted<string>
  /** HMAC key of the teacher grants; a different key, so a CSRF token is never a teacher token */
  readonly teacherSecret: Redacted.Redacted<string>
  readonly teacherGrantTtl: Duration.Duration
  /** where teachers connect, e.g. ws://localhost:8001 (reference `BACKEND_B_WS_URL`) */
  readonly publicWsUrl: string
  /** take the client address from `X-Forwarded-For` (only behind a proxy you trust) */
  readonly trustProxy: boolean
  readonly corsOrigins: ReadonlyArray<string>
  /** the LiveKit project of Version A whose student tokens `GET /livekit/token` mints; absent → 503 */
  readonly livekit?: LiveKitSettings
}

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

/** Reads the server settings from the environment (see docs/version-b-api.md). */
export const ServerConfigFromEnv = Layer.effect(
  ServerConfig,
  Effect.gen(function*() {
    const env = yield* Config.all({
      host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
      port: Config.Port("PORT").pipe(Config.withDefault(8001)),
      publicWsUrl: Config.option(Config.String("BACKEND_B_WS_URL")),
      trustProxy: Config.Boolean("TRUST_PROXY").pipe(Config.withDefault(false)),
      frontendUrl: Config.String("FRONTEND_URL").pipe(Config.withDefault("http://localhost:3000"))
    })
    const configuredCsrf = yield* optionalSecret("CSRF_SECRET")
    const teacherSecret = yield* optionalSecret("TEACHER_TOKEN_SECRET")
    const csrfSecret = yield* Option.match(configuredCsrf, {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.as(
          Effect.logWarning("CSRF_SECRET is not set: using a random secret; CSRF tokens die on restart and differ between instances"),
          Redacted.make(randomBytes(32).toString("hex"))
        )
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
      teacherSecret: Option.getOrElse(teacherSecret, () => deriveTeacherSecret(csrfSecret)),
      teacherGrantTtl: Duration.hours(1),
      publicWsUrl: Option.getOrElse(env.publicWsUrl, () => `ws://localhost:${env.port}`),
      trustProxy: env.trustProxy,
      corsOrigins: [...new Set([...REFERENCE_ORIGINS, env.frontendUrl])],
      ...(Result.isSuccess(livekit) ? { livekit: livekit.success } : {})
    })
  })
)
