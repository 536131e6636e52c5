import type { Room } from "@livekit/rtc-node"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { AgentDispatchClient } from "livekit-server-sdk"
import { LiveKitConfig } from "./config.ts"
import { type EnglishJob, EnglishJobJson, type OutgoingData } from "./messages.ts"
import { ENGLISH_WORKER } from "./tokens.ts"

/** The agent's data channel into its room. Publishing is best-effort: it never fails a turn. */
export class RoomChannel extends Context.Service<RoomChannel, {
  readonly publish: (data: OutgoingData) => Effect.Effect<void>
}>()("agent/RoomChannel") {}

/**
 * Publishes reliably through the room's local participant, which exists only while connected:
 * before `connect` or after a disconnect the message is dropped with a debug log.
 */
export const roomChannelOf = (room: Room): Layer.Layer<RoomChannel> =>
  Layer.succeed(
    RoomChannel,
    RoomChannel.of({
      publish: Effect.fn("Agent.publishData")(function*(data) {
        const participant = room.localParticipant
        if (participant === undefined) return yield* Effect.logDebug("data message dropped: not connected", data.topic)
        yield* Effect.tryPromise(() => participant.publishData(data.payload, { reliable: true, topic: data.topic })).pipe(
          Effect.catch((error) => Effect.logDebug("data message not delivered", data.topic, String(error)))
        )
      })
    })
  )

export class EnglishUnavailable extends Schema.TaggedError<EnglishUnavailable>()("EnglishUnavailable", {
  detail: Schema.String
}) {
  override get message(): string {
    return `the English specialist could not be dispatched: ${this.detail}`
  }
}

/** Brings the `learning-english` worker (its own OpenAI Realtime session) into a room. */
export class EnglishDispatch extends Context.Service<EnglishDispatch, {
  readonly dispatch: (roomName: string, job: EnglishJob) => Effect.Effect<void, EnglishUnavailable>
}>()("agent/EnglishDispatch") {}

/** Explicit agent dispatch through the LiveKit server API. */
export const EnglishDispatchLive: Layer.Layer<EnglishDispatch, never, LiveKitConfig> = Layer.effect(
  EnglishDispatch,
  Effect.gen(function*() {
    const config = yield* LiveKitConfig
    // the server SDK turns ws(s):// into http(s):// itself
    const client = new AgentDispatchClient(config.url, config.apiKey, Redacted.value(config.apiSecret))
    return EnglishDispatch.of({
      dispatch: Effect.fn("Agent.dispatchEnglish")(function*(roomName, job) {
        const metadata = Schema.encodeSync(EnglishJobJson)(job)
        yield* Effect.tryPromise({
          try: () => client.createDispatch(roomName, ENGLISH_WORKER, { metadata }),
          catch: (error) => new EnglishUnavailable({ detail: String(error) })
        })
      })
    })
  })
)
