/**
 * A turn worker process (see `turnPipelineWorkers`): the providers from its environment, the
 * tracing exporter if one is configured (its spans join the job's trace through the RPC), and
 * `answerTurn` served to the parent process over IPC.
 */
import { NodeRuntime, NodeWorkerRunner } from "@effect/platform-node"
import { Effect, Layer, References, Stream } from "effect"
import { RpcServer } from "effect/rpc"
import type { Guardrail } from "../../services/Guardrail.ts"
import type { Specialists } from "../../services/Specialists.ts"
import type { Speech } from "../../services/Speech.ts"
import { answerTurn } from "../../tutor/answerTurn.ts"
import { TracingLive } from "../observability.ts"
import { TutorProvidersLive } from "../providers.ts"
import { TurnRpcs } from "./rpc.ts"

const Handlers = TurnRpcs.toLayer(Effect.map(Effect.context<Guardrail | Specialists | Speech>(), (providers) => ({
  AnswerTurn: (request) => answerTurn(request).pipe(Stream.provideContext(providers))
})))

const Worker = RpcServer.layer(TurnRpcs).pipe(
  Layer.provide(Handlers),
  Layer.provide(RpcServer.layerProtocolWorkerRunner),
  Layer.provide(NodeWorkerRunner.layer),
  // the parent logs the provider table; a worker only speaks up for warnings and errors
  Layer.provide(TutorProvidersLive.pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))),
  Layer.provide(TracingLive)
)

NodeRuntime.runMain(Layer.launch(Worker))
