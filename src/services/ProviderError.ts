import { Schema } from "effect"

/**
 * Why a call to an external model provider failed. Every live and local layer maps its
 * failures onto these reasons so programs can decide policy (fallback, fail closed, retry)
 * without knowing which SDK sat behind the call.
 */
export const ProviderFailureReason = Schema.Literals([
  "rate_limited",
  "server_error",
  "timeout",
  "connection",
  "unauthorized",
  "bad_request",
  "invalid_response",
  "stream_cut",
  "inconclusive",
  "unavailable"
])
export type ProviderFailureReason = typeof ProviderFailureReason.Type

export class ProviderError extends Schema.TaggedError<ProviderError>()("ProviderError", {
  /** e.g. "openai", "anthropic", "local", "test" */
  provider: Schema.String,
  /** the service operation, e.g. "Guardrail.moderate" */
  operation: Schema.String,
  reason: ProviderFailureReason,
  status: Schema.optionalKey(Schema.Number),
  detail: Schema.String
}) {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `${this.provider} ${this.operation} failed: ${this.reason}${status}: ${this.detail}`
  }
}
