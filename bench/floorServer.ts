import { Effect, Schema, type Scope } from "effect"
import { forkHelper, nextChildMessage } from "./childProcess.ts"

export class FloorFailed extends Schema.TaggedError<FloorFailed>()("FloorFailed", { message: Schema.String }) {}

const Port = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 65535 })))

/** The bare server of `floorProcess.ts` in a child process at the server's own priority; its origin. */
export const startFloorServer: Effect.Effect<URL, FloorFailed, Scope.Scope> = Effect.gen(function*() {
  const child = yield* forkHelper("./floorProcess.ts")
  const port = yield* nextChildMessage(child, (code) => new FloorFailed({ message: `floor server exited (${code})` })).pipe(
    Effect.flatMap(Schema.decodeUnknownEffect(Port)),
    Effect.mapError((error) => error._tag === "FloorFailed" ? error : new FloorFailed({ message: error.message }))
  )
  return new URL(`http://127.0.0.1:${port}`)
})
