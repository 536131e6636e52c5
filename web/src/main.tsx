import { render } from "preact"
import { App } from "./App.tsx"
import { parseRoute } from "./route.ts"
import "./styles.css"

const root = document.getElementById("app")
if (root) render(<App route={parseRoute(window.location)} />, root)
