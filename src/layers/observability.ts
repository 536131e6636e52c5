import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter as OtlpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as OtlpProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { SERVICE_NAME, type TraceExport } from "../services/Observability.ts"

const trimSlash = (url: string) => url.replace(/\/+$/, "")

/**
 * Reads the exporter settings: an explicit OTLP collector wins, then Langfuse (Basic auth on its
 * OTLP endpoint); with neither there is no exporter and no error.
 */
export const traceExportConfig = Config.all({
  otlpEndpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_ENDPOINT")),
  otlpTracesEndpoint: Config.option(Config.String("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  protocol: Config.Literals(["http/protobuf", "http/json"], "OTEL_EXPORTER_OTLP_PROTOCOL").pipe(
    Config.withDefault("http/protobuf" as const)
  ),
  langfuseHost: Config.option(Config.String("LANGFUSE_HOST")),
  langfusePublicKey: Config.option(Config.String("LANGFUSE_PUBLIC_KEY")),
  langfuseSecretKey: Config.option(Config.Redacted("LANGFUSE_SECRET_KEY"))
}).pipe(
  Config.map((env): TraceExport => {
    const tracesUrl = Option.orElse(
      env.otlpTracesEndpoint,
      () => Option.map(env.otlpEndpoint, (base) => `${trimSlash(base)}/v1/traces`)
    )
    if (Option.isSome(tracesUrl)) return { kind: "otlp", url: tracesUrl.value, protocol: env.protocol, headers: {} }
    if (Option.isSome(env.langfuseHost) && Option.isSome(env.langfusePublicKey) && Option.isSome(env.langfuseSecretKey)) {
      const credentials = `${env.langfusePublicKey.value}:${Redacted.value(env.langfuseSecretKey.value)}`
      return {
        kind: "langfuse",
        url: `${trimSlash(env.langfuseHost.value)}/api/public/otel/v1/traces`,
        protocol: "http/protobuf",
        headers: { Authorization: `Basic ${Buffer.from(credentials).toString("base64")}` }
      }
    }
    return { kind: "none" }
  })
)

/**
 * Installs the OpenTelemetry tracer when an exporter is configured. Spans are batched and flushed
 * when the layer is released, so a clean shutdown loses none.
 */
export const TracingLive: Layer.Layer<never, Config.ConfigError> = Layer.unwrap(
  Effect.gen(function*() {
    const target = yield* traceExportConfig
    if (target.kind === "none") return Layer.empty
    yield* Effect.logInfo(`tracing: exporting spans to ${target.url} (${target.kind}, ${target.protocol})`)
    const exporterOptions = { url: target.url, headers: target.headers }
    const exporter = target.protocol === "http/json"
      ? new OtlpJsonExporter(exporterOptions)
      : new OtlpProtobufExporter(exporterOptions)
    return NodeSdk.layer(() => ({
      resource: { serviceName: SERVICE_NAME },
      spanProcessor: new BatchSpanProcessor(exporter)
    }))
  })
)
