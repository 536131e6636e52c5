import { type Decoder, decode, isRecord, number, object, parseJson, string } from "../lib/decode.ts"

/** A non-2xx answer of the platform server, with its JSON `detail` (or `error`) text. */
export class ApiError extends Error {
  override readonly name = "ApiError"
  readonly status: number
  readonly detail: string
  constructor(status: number, detail: string) {
    super(`HTTP ${status}: ${detail}`)
    this.status = status
    this.detail = detail
  }
}

export const errorDetail = async (response: Response): Promise<string> => {
  const text = await response.text().catch(() => "")
  const body = parseJson(text)
  if (isRecord(body)) {
    const detail = body["detail"] ?? body["error"] ?? body["message"]
    if (typeof detail === "string") return detail
  }
  // not JSON, or a detail that is not text (a 422 issue list): the body itself says the most
  return text || response.statusText
}

export const ensureOk = async (response: Response): Promise<Response> => {
  if (!response.ok) throw new ApiError(response.status, await errorDetail(response))
  return response
}

export const readJson = async <T>(response: Response, decoder: Decoder<T>): Promise<T> => {
  const result = decode(decoder, await (await ensureOk(response)).json())
  if (!result.ok) throw new ApiError(response.status, `unexpected response: ${result.error}`)
  return result.value
}

const CsrfResponse = object({ token: string, ttl: number })

/** Share of the token's TTL after which a fresh one is fetched (the reference's 240 s of 300 s). */
const REFRESH_AT = 0.8

/**
 * The `X-CSRF-Token` the server wants on every POST of the page's session: it is bound to that
 * session. The first comes with the session (`POST /session`); each is refreshed at 80 % of its
 * TTL, so a request never waits on an expired token.
 */
export class CsrfToken {
  private sessionId: string | null = null
  private current: Promise<string> | null = null
  private timer: ReturnType<typeof setTimeout> | undefined

  /** the page's session is open: its first token is in hand */
  start(sessionId: string, token: string, ttl: number): void {
    this.dispose()
    this.sessionId = sessionId
    this.current = Promise.resolve(token)
    this.scheduleRefresh(ttl)
  }

  get(): Promise<string> {
    this.current ??= this.fetchToken()
    return this.current
  }

  /** after a 403: the server restarted or the token expired while the tab slept */
  invalidate(): void {
    clearTimeout(this.timer)
    this.current = null
  }

  dispose(): void {
    this.invalidate()
    this.sessionId = null
  }

  private scheduleRefresh(ttl: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      const next = this.fetchToken()
      // keep serving the old token until the new one is in hand
      next.then(() => (this.current = next), () => undefined)
    }, ttl * REFRESH_AT * 1000)
  }

  private async fetchToken(): Promise<string> {
    if (this.sessionId === null) throw new ApiError(401, "No session is open yet")
    try {
      const path = `/csrf/token?session_id=${encodeURIComponent(this.sessionId)}`
      const { token, ttl } = await readJson(await fetch(path), CsrfResponse)
      this.scheduleRefresh(ttl)
      return token
    } catch (error) {
      this.current = null
      throw error
    }
  }
}

export const csrf = new CsrfToken()

/** POST JSON with the CSRF header; one retry with a fresh token when the server says 403. */
export const postProtected = async (path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
  const send = async () =>
    fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": await csrf.get() },
      body: body === undefined ? null : JSON.stringify(body),
      signal: signal ?? null
    })
  const first = await send()
  if (first.status !== 403) return first
  csrf.invalidate()
  return send()
}
