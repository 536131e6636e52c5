/**
 * Types for the parts of the `espeak-ng` npm package (an Emscripten build of the eSpeak NG
 * command line, GPL-3.0, optional dependency) that the local Speech layer uses. The package
 * ships no typings.
 */
declare module "espeak-ng" {
  /** WebAssembly values as the Emscripten glue passes them; only ever handed back to it */
  export interface WasmImports {
    readonly __brand: "WasmImports"
  }
  export interface WasmModule {
    readonly __brand: "WasmModule"
  }
  export interface WasmInstance {
    readonly exports: Readonly<Record<string, unknown>>
  }

  export interface ESpeakNgOptions {
    /** do not run the command line's `main` while loading; we call it per sentence */
    readonly noInitialRun?: boolean
    readonly print?: (line: string) => void
    readonly printErr?: (line: string) => void
    /** instantiate the module ourselves, to reach its exports (malloc, free) */
    readonly instantiateWasm?: (imports: WasmImports, receive: (instance: WasmInstance, module: WasmModule) => void) => object
  }

  export interface ESpeakNgModule {
    readonly FS: {
      writeFile(path: string, data: string | Uint8Array): void
      readFile(path: string): Uint8Array
      unlink(path: string): void
    }
    /** views on the module's linear memory (fixed size: the build cannot grow it) */
    readonly HEAPU8: Uint8Array
    readonly HEAPU32: Uint32Array
    /** the eSpeak NG command line's `main(argc, argv)` */
    _main(argc: number, argv: number): number
  }

  const ESpeakNg: (options: ESpeakNgOptions) => Promise<ESpeakNgModule>
  export default ESpeakNg
}
