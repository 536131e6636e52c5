import { Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"

/** The LiveKit project the worker registers with and whose tokens it signs. */
export interface LiveKitSettings {
  /** ws(s):// URL of the LiveKit server */
  readonly url: string
  readonly apiKey: string
  readonly apiSecret: Redacted.Redacted<string>
}

export class LiveKitConfig extends Context.Service<LiveKitConfig, LiveKitSettings>()("agent/LiveKitConfig") {}

export const LIVEKIT_VARIABLES = ["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"] as const

export class MissingLiveKitSettings extends Schema.TaggedError<MissingLiveKitSettings>()("MissingLiveKitSettings", {
  missing: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `Version A needs a LiveKit server; missing environment variables: ${this.missing.join(", ")} ` +
      `(see docs/version-a-agent.md)`
  }
}

const read = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Effect.map(Option.filter((value) => value.trim().length > 0)),
    // a value that cannot be read is as absent as an unset one
    Effect.catch(() => Effect.succeed(Option.none<string>()))
  )

/**
 * Reads all three variables and names every missing one at once. No `devkey`/`secret` defaults
 * as in the reference: a worker signing with a well-known secret is worse than one that refuses.
 */
export const readLiveKitSettings = Effect.gen(function*() {
  const found = yield* Effect.all({
    LIVEKIT_URL: read("LIVEKIT_URL"),
    LIVEKIT_API_KEY: read("LIVEKIT_API_KEY"),
    LIVEKIT_API_SECRET: read("LIVEKIT_API_SECRET")
  })
  const { LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret, LIVEKIT_URL: url } = found
  if (Option.isSome(url) && Option.isSome(apiKey) && Option.isSome(apiSecret)) {
    const settings: LiveKitSettings = { url: url.value, apiKey: apiKey.value, apiSecret: Redacted.make(apiSecret.value) }
    return settings
  }
  return yield* new MissingLiveKitSettings({ missing: LIVEKIT_VARIABLES.filter((name) => Option.isNone(found[name])) })
})

export const LiveKitConfigFromEnv = Layer.effect(LiveKitConfig, readLiveKitSettings)
