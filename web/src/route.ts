import { isTradeoffTrigger, type TradeoffTrigger, type Version } from "./content.ts"
import { type FlowStepId, isFlowStep } from "./components/FlowVisualizer.tsx"

export type Route =
  | { readonly page: "landing" }
  | { readonly page: "student"; readonly version: Version; readonly tradeoff: TradeoffTrigger | null; readonly activeStep: FlowStepId | null }
  | { readonly page: "teacher-sign-in" }
  /** `session`: the claimed session to open; null for the inbox */
  | { readonly page: "teacher"; readonly session: string | null }
  | { readonly page: "not-found"; readonly path: string }

/** `?v=b` is Version B; anything else (or nothing) is A, as in the reference. */
const versionOf = (params: URLSearchParams): Version => (params.get("v") === "b" ? "b" : "a")

export const parseRoute = (location: { pathname: string; search: string }): Route => {
  const params = new URLSearchParams(location.search)
  const path = location.pathname.replace(/\/+$/, "") || "/"
  switch (path) {
    case "/":
      return { page: "landing" }
    case "/student": {
      const tradeoff = params.get("tradeoff")
      const activeStep = params.get("activeStep")
      return {
        page: "student",
        version: versionOf(params),
        tradeoff: isTradeoffTrigger(tradeoff) ? tradeoff : null,
        activeStep: isFlowStep(activeStep) ? activeStep : null
      }
    }
    case "/teacher":
      return { page: "teacher", session: params.get("session") || null }
    // the sign-in token is in the fragment, which the page reads itself
    case "/teacher/sign-in":
      return { page: "teacher-sign-in" }
    default:
      return { page: "not-found", path }
  }
}
