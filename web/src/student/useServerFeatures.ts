import { useEffect, useState } from "preact/hooks"
import { serverFeatures } from "../api/endpoints.ts"
import type { ServerFeatures } from "../api/messages.ts"

/**
 * What `GET /config` says this server can do. `unknown` when it could not be read: the pages
 * then behave as before it existed (the token routes' own 503 tells them at the click).
 */
export type FeaturesState =
  | { readonly kind: "loading" | "unknown" }
  | { readonly kind: "known"; readonly features: ServerFeatures }

export function useServerFeatures(): FeaturesState {
  const [state, setState] = useState<FeaturesState>({ kind: "loading" })
  useEffect(() => {
    serverFeatures().then(
      (features) => setState({ kind: "known", features }),
      (failure: unknown) => {
        console.warn("GET /config failed:", failure)
        setState({ kind: "unknown" })
      }
    )
  }, [])
  return state
}
