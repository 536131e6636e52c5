/**
 * A turn worker process (see `turnPipelineWorkers`): the providers from its environment, the
 * tracing exporter if one is configured (its spans join the job's trace through the RPC), and
 * `answerTurn` served to the parent process over IPC.
 */
import { NodeRuntime, NodeWorkerRunner } from "@effect/platform-node"
import { Effect, Layer, References } from "effect"
import { RpcServer } from "effect/rpc"
import { TurnPipeline } from "../../services/TurnPipeline.ts"
import { TracingLive } from "../observability.ts"
import { TutorProvidersLive } from "../providers.ts"
import { turnPipelineInProcess } from "./inProcess.ts"
import { TurnRpcs } from "./rpc.ts"

// a worker answers its turns in process: it is the process the pool moved them to
const Handlers = TurnRpcs.toLayer(Effect.map(TurnPipeline, (pipeline) => ({ AnswerTurn: pipeline.answer })))

const Worker = RpcServer.layer(TurnRpcs).pipe(
  Layer.provide(Handlers),
  Layer.provide(turnPipelineInProcess),
  Layer.provide(RpcServer.layerProtocolWorkerRunner),
  Layer.provide(NodeWorkerRunner.layer),
  // the parent logs the provider table; a worker only speaks up for warnings and errors
  Layer.provide(TutorProvidersLive.pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))),
  Layer.provide(TracingLive)
)

NodeRuntime.runMain(Layer.launch(Worker))
