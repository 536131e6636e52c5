/** The worker thread of `SentenceEncoderThread`: the sentence model served over Effect RPC. */
import { NodeRuntime, NodeWorkerRunner } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { RpcServer } from "effect/rpc"
import { EncoderRpcs, SentenceEncoder, SentenceEncoderInThread } from "./sentenceEncoder.ts"

const Handlers = EncoderRpcs.toLayer(Effect.map(SentenceEncoder, (encoder) => ({
  Embed: ({ texts }) => encoder.embed(texts)
})))

const Thread = RpcServer.layer(EncoderRpcs).pipe(
  Layer.provide(Handlers),
  Layer.provide(SentenceEncoderInThread),
  Layer.provide(RpcServer.layerProtocolWorkerRunner),
  Layer.provide(NodeWorkerRunner.layer)
)

NodeRuntime.runMain(Layer.launch(Thread))
