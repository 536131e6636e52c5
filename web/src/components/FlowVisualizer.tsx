import { FLOW_STEPS, type Version } from "../content.ts"

export type FlowStepId = (typeof FLOW_STEPS)[number]["id"]

export const isFlowStep = (value: string | null): value is FlowStepId => FLOW_STEPS.some((step) => step.id === value)

/** The pipeline of the version, with the stage that is working right now lit. */
export function FlowVisualizer({ version, active }: { version: Version; active: FlowStepId | null }) {
  const steps = FLOW_STEPS.filter((step) => step.versions.some((v) => v === version))
  return (
    <section class="card flow" data-testid="flow-visualizer" aria-label="Pipeline">
      <h2 class="caption">Pipeline</h2>
      <ol class="flow-steps">
        {steps.map((step, index) => (
          <li key={step.id} class="flow-item">
            {index > 0 && <span class="flow-arrow" aria-hidden="true">→</span>}
            <span
              class={step.id === active ? "flow-step active" : "flow-step"}
              data-testid={`flow-step-${step.id}`}
              data-active={step.id === active ? "true" : undefined}
              aria-current={step.id === active ? "step" : undefined}
            >
              {step.label}
            </span>
          </li>
        ))}
      </ol>
    </section>
  )
}
