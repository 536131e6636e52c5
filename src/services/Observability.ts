import { Schema } from "effect"

/**
 * Where traces go. Observability is not a service of its own at run time: it is Effect's `Tracer`,
 * installed by the layer in src/layers/observability.ts from this configuration.
 */
export const TraceExport = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("none") }),
  Schema.Struct({
    kind: Schema.Literals(["otlp", "langfuse"]),
    /** full URL of the traces endpoint */
    url: Schema.String,
    protocol: Schema.Literals(["http/protobuf", "http/json"]),
    headers: Schema.Record(Schema.String, Schema.String)
  })
])
export type TraceExport = typeof TraceExport.Type

export const SERVICE_NAME = "voice-ai-tutor"
