import { isTradeoffTrigger, type TradeoffTrigger, type Version } from "./content.ts"
import { type FlowStepId, isFlowStep } from "./components/FlowVisualizer.tsx"

export type Route =
  | { readonly page: "landing" }
  | { readonly page: "student"; readonly version: Version; readonly tradeoff: TradeoffTrigger | null; readonly activeStep: FlowStepId | null }
  | { readonly page: "teacher"; readonly version: Version; readonly session: string; readonly token: string }
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
      return { page: "teacher", version: versionOf(params), session: params.get("session") ?? "", token: params.get("token") ?? "" }
    default:
      return { page: "not-found", path }
  }
}
